import { vOnCompleteArgs, type WorkId } from "@convex-dev/workpool";
import { ConvexError, v, type Infer } from "convex/values";
import { internal } from "../_generated/api";
import type { MutationCtx } from "../_generated/server";
import { internalMutation, internalQuery } from "../_generated/server";
import { assessment } from "../ml/decision";
import { customerStats, terminalStats } from "../ml/statistics";
import { customerWindowStats, terminalWindowStats } from "../model/history/windowStats";
import type { HistoryTooDense } from "../model/history/sides";
import { markScoringFailed, promoteToScored } from "../model/payments/lifecycle";
import { locatePayment, type StagedPayment } from "../model/payments/locate";
import { paymentView, scoringErrorCode, type ScoringErrorCode } from "../model/payments/validators";
import { toPaymentView } from "../model/payments/view";
import { afterDecision } from "../model/reviews/decided";
import { applyRules } from "../model/rules/apply";
import { llmSettings } from "../config";
import { enqueueExplanation, templateFields } from "./explaining";
import { scoringPool } from "./pools";

/**
 * The scoring job's database side. The job (`scoringAction.score`) reads everything in one query
 * (`input`) and returns its outcome; the pool's `onComplete` (`recordOutcome`) writes it. Actions
 * run at most once and can die anywhere, so every write here is idempotent: a result is recorded
 * only while the payment is still staged, a failure only while it is still pending.
 */

/** A failure that ends scoring at once: retrying would read the same data and fail again. */
const failedOutcome = v.object({
  kind: v.literal("failed"),
  code: scoringErrorCode,
  message: v.string(),
});

/** What the scoring job returns to the pool. */
export const scoringOutcome = v.union(
  v.object({ kind: v.literal("scored"), assessment, scoredAt: v.number() }),
  /** The payment is gone, or another job scored it first. */
  v.object({ kind: v.literal("skipped") }),
  failedOutcome,
);
export type ScoringOutcome = Infer<typeof scoringOutcome>;

/** Everything the scoring job needs, in one read. */
export const scoringInput = v.union(
  v.object({
    kind: v.literal("ready"),
    payment: v.object({
      paymentId: v.string(),
      amount: v.number(),
      currency: v.string(),
      timestamp: v.number(),
      receivedAt: v.number(),
    }),
    customer: v.array(customerStats),
    terminal: v.array(terminalStats),
  }),
  v.object({ kind: v.literal("skipped") }),
  failedOutcome,
);
export type ScoringInput = Infer<typeof scoringInput>;

/** The error a retryable scoring failure throws, so its code reaches `onComplete`. */
export function scoringFailure(
  code: ScoringErrorCode,
  message: string,
): ConvexError<{
  code: ScoringErrorCode;
  message: string;
}> {
  return new ConvexError({ code, message: message.slice(0, 300) });
}

const SCORING_CODES: ReadonlySet<string> = new Set(scoringErrorCode.members.map((m) => m.value));

function isHistoryTooDense(error: unknown): error is ConvexError<HistoryTooDense> {
  return (
    error instanceof ConvexError &&
    (error.data as { code?: unknown } | null)?.code === "history_too_dense"
  );
}

/**
 * Enqueues the scoring of a staged payment on the scoring pool and remembers the job on the
 * payment, for the watchdog. `recoveries` counts the jobs the watchdog had to replace.
 */
export async function enqueueScoring(
  ctx: MutationCtx,
  staged: StagedPayment,
  recoveries = 0,
): Promise<WorkId> {
  const workId = await scoringPool().enqueueAction(
    ctx,
    internal.fraud.scoringAction.score,
    { paymentId: staged.paymentId },
    { onComplete: internal.fraud.scoring.recordOutcome, context: { paymentId: staged.paymentId } },
  );
  await ctx.db.patch("tempTransactions", staged._id, { scoringJob: { workId, recoveries } });
  return workId;
}

/**
 * Everything scoring needs, in one read: the payment and its window statistics. A history too
 * dense to read within Convex's limits is a failure outcome here, in the query that met it:
 * nothing across the function boundary depends on an error's class.
 */
export const input = internalQuery({
  args: { paymentId: v.string() },
  returns: scoringInput,
  handler: async (ctx, { paymentId }): Promise<ScoringInput> => {
    const located = await locatePayment(ctx, paymentId);
    if (!located || located.table !== "tempTransactions") return { kind: "skipped" };
    const payment = located.doc;
    try {
      return {
        kind: "ready",
        payment: {
          paymentId,
          amount: payment.amount,
          currency: payment.currency,
          timestamp: payment.timestamp,
          receivedAt: payment.receivedAt,
        },
        customer: await customerWindowStats(ctx, payment),
        terminal: await terminalWindowStats(ctx, payment),
      };
    } catch (error) {
      if (!isHistoryTooDense(error)) throw error;
      return { kind: "failed", code: "history_too_dense", message: error.data.message };
    }
  },
});

/** How long a scored payment may wait for its explanation before the watchdog looks. */
export const EXPLANATION_DUE_MS = 5 * 60_000;

/**
 * Records a decision: moves the payment into `transactions` (same id) and enqueues its
 * explanation. A no-op when the payment is gone or already scored, so a duplicate or late
 * job never writes a second result. Returns whether it recorded.
 */
export async function recordScore(
  ctx: MutationCtx,
  paymentId: string,
  outcome: Extract<ScoringOutcome, { kind: "scored" }>,
): Promise<boolean> {
  const located = await locatePayment(ctx, paymentId);
  if (!located || located.table !== "tempTransactions") return false;
  const staged = located.doc;
  // Rules run here, on the models' features, so a rule change applies to every later scoring.
  const fraud = await applyRules(ctx, staged, {
    ...outcome.assessment,
    scoredAt: outcome.scoredAt,
    latencyMs: Math.max(0, outcome.scoredAt - staged.receivedAt),
  });
  if (llmSettings() === null) {
    // No LLM configured: the template is deterministic and instant, so it is written with the
    // decision, in this mutation, rather than by a job.
    await promoteToScored(ctx, staged, { ...fraud, ...templateFields(staged, fraud) }, {});
  } else {
    const explanationJob = await enqueueExplanation(ctx, paymentId);
    await promoteToScored(ctx, staged, fraud, {
      explanationDueAt: Date.now() + EXPLANATION_DUE_MS,
      explanationJob,
    });
  }
  // Whichever path recorded it (the pool's onComplete or an inline decision): its review and
  // its webhook events, once, in this same mutation.
  await afterDecision(ctx, paymentId);
  return true;
}

/** Marks a still-pending payment `failed` with `code`; a no-op otherwise. */
export async function recordScoringFailure(
  ctx: MutationCtx,
  paymentId: string,
  code: ScoringErrorCode,
  message: string,
): Promise<void> {
  const located = await locatePayment(ctx, paymentId);
  if (!located || located.table !== "tempTransactions") return;
  if (located.doc.status !== "pending") return;
  await markScoringFailed(ctx, located.doc, { code, message: message.slice(0, 300) });
}

/**
 * The scoring pool's `onComplete`: records the decision, or the failure with its code once the
 * pool gave up (after the last attempt, at once for non-retryable codes, or when canceled).
 */
export const recordOutcome = internalMutation({
  args: vOnCompleteArgs(v.object({ paymentId: v.string() }), scoringOutcome),
  returns: v.null(),
  handler: async (ctx, { context: { paymentId }, result }) => {
    if (result.kind === "canceled") {
      await recordScoringFailure(
        ctx,
        paymentId,
        "scoring_canceled",
        "The scoring job was canceled.",
      );
    } else if (result.kind === "failed") {
      const data = result.errorData as { code?: unknown; message?: unknown } | undefined;
      const code =
        typeof data?.code === "string" && SCORING_CODES.has(data.code) ? data.code : null;
      await recordScoringFailure(
        ctx,
        paymentId,
        (code ?? "scoring_error") as ScoringErrorCode,
        typeof data?.message === "string" ? data.message : result.error,
      );
    } else if (result.returnValue.kind === "scored") {
      await recordScore(ctx, paymentId, result.returnValue);
    } else if (result.returnValue.kind === "failed") {
      const { code, message } = result.returnValue;
      await recordScoringFailure(ctx, paymentId, code, message);
    }
    return null;
  },
});

/**
 * How long a payment decided in its request waits before the scoring pool takes it too. The
 * request hands over at once when it gives up or fails; this scheduled hand-over is for a
 * request that died (a crash, a restart) and leaves nothing pending beyond this. Later than
 * this, both paths run and whichever finishes first records the decision.
 */
export const INLINE_HANDOVER_MS = 1_000;

/**
 * For a payment the request decides itself: no pool job now (the common case, a decision within
 * milliseconds, then costs the pool nothing), only the scheduled hand-over.
 */
export async function scheduleHandover(ctx: MutationCtx, staged: StagedPayment): Promise<void> {
  const handover = await ctx.scheduler.runAfter(
    INLINE_HANDOVER_MS,
    internal.fraud.scoring.handOver,
    {
      paymentId: staged.paymentId,
    },
  );
  await ctx.db.patch("tempTransactions", staged._id, { inlineHandover: handover });
}

/** Gives a pending payment without a pool job to the scoring pool; a no-op otherwise. */
export async function handOverToPool(ctx: MutationCtx, paymentId: string): Promise<void> {
  const located = await locatePayment(ctx, paymentId);
  if (!located || located.table !== "tempTransactions") return;
  const staged = located.doc;
  if (staged.status !== "pending" || staged.scoringJob !== undefined) return;
  await enqueueScoring(ctx, staged);
}

/**
 * The hand-over of a payment decided in its request: run by the request when it has no decision
 * in time, or by the scheduler `INLINE_HANDOVER_MS` after the payment was staged.
 */
export const handOver = internalMutation({
  args: { paymentId: v.string() },
  returns: v.null(),
  handler: async (ctx, { paymentId }) => {
    await handOverToPool(ctx, paymentId);
    return null;
  },
});

/**
 * Records a decision computed in the request (`Prefer: wait`), exactly as the pool's
 * `onComplete` would, and cancels the hand-over it no longer needs. When the pool already
 * scored it, this is a no-op. Any other outcome goes to the pool, which retries it or records it
 * with its code. Returns the payment as it is now.
 */
export const recordInline = internalMutation({
  args: { paymentId: v.string(), outcome: scoringOutcome },
  returns: v.union(paymentView, v.null()),
  handler: async (ctx, { paymentId, outcome }) => {
    if (outcome.kind === "scored") {
      const located = await locatePayment(ctx, paymentId);
      const handover =
        located?.table === "tempTransactions" ? located.doc.inlineHandover : undefined;
      if ((await recordScore(ctx, paymentId, outcome)) && handover !== undefined) {
        // Not from inside the hand-over itself (this runs in the request's own mutation): a
        // function canceled while running would lose what it schedules.
        await ctx.scheduler.cancel(handover);
      }
    } else {
      await handOverToPool(ctx, paymentId);
    }
    const located = await locatePayment(ctx, paymentId);
    return located ? toPaymentView(located.doc) : null;
  },
});
