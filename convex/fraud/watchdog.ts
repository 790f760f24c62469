import { v } from "convex/values";
import { internalMutation } from "../_generated/server";
import { markScoringFailed } from "../model/payments/lifecycle";
import { writeTemplateExplanation } from "./explaining";
import { explanationPool, scoringPool } from "./pools";
import { enqueueScoring } from "./scoring";

/**
 * The watchdog, run by cron, for what a pool can lose: a job whose `onComplete` never ran
 * (it failed, or the work vanished). It looks only at payments past a deadline, asks the pool
 * about their job, and leaves every job the pool still has (pending or running) alone, so it
 * never starts a second job beside a live one and never scores a payment twice.
 */

/** A pending payment older than this has its scoring job checked. */
export const SCORING_CHECK_AFTER_MS = 60_000;
/** Lost scoring jobs replaced before the payment fails with `scoring_timeout`. */
export const MAX_SCORING_RECOVERIES = 2;
/** Payments looked at per run and kind; the next run picks up the rest. */
const BATCH = 100;

const isFinished = (status: { state: string } | undefined) =>
  status === undefined || status.state === "finished";

export const run = internalMutation({
  args: {},
  returns: v.object({ rescheduled: v.number(), failed: v.number(), explained: v.number() }),
  handler: async (ctx) => {
    const now = Date.now();
    let rescheduled = 0;
    let failed = 0;
    let explained = 0;

    const overdue = await ctx.db
      .query("tempTransactions")
      .withIndex("by_status_and_receivedAt", (q) =>
        q.eq("status", "pending").lte("receivedAt", now - SCORING_CHECK_AFTER_MS),
      )
      .take(BATCH);
    const scoringStatus = await scoringPool().statusBatch(
      ctx,
      overdue.flatMap((p) => (p.scoringJob ? [p.scoringJob.workId] : [])),
    );
    let k = 0;
    for (const staged of overdue) {
      const status = staged.scoringJob ? scoringStatus[k++] : undefined;
      if (!isFinished(status)) continue;
      const recoveries = staged.scoringJob?.recoveries ?? 0;
      if (recoveries >= MAX_SCORING_RECOVERIES) {
        await markScoringFailed(ctx, staged, {
          code: "scoring_timeout",
          message: `The scoring job was lost ${recoveries + 1} times.`,
        });
        failed += 1;
      } else {
        await enqueueScoring(ctx, staged, recoveries + 1);
        rescheduled += 1;
      }
    }

    const unexplained = await ctx.db
      .query("transactions")
      .withIndex("by_explanationDueAt", (q) =>
        q.gte("explanationDueAt", 0).lte("explanationDueAt", now),
      )
      .take(BATCH);
    const jobs = unexplained.flatMap((p) => (p.explanationJob ? [p.explanationJob] : []));
    const explanationStatus = await explanationPool().statusBatch(ctx, jobs);
    k = 0;
    for (const doc of unexplained) {
      const status = doc.explanationJob ? explanationStatus[k++] : undefined;
      if (isFinished(status) && (await writeTemplateExplanation(ctx, doc))) explained += 1;
    }
    return { rescheduled, failed, explained };
  },
});
