import { v } from "convex/values";
import { internal } from "../_generated/api";
import { internalMutation, internalQuery } from "../_generated/server";
import { locatePayment, promoteToScored, scheduleScoring } from "../model/payments";
import { explanationSource, fraudResult, reason } from "../model/validators";
import { templateExplanation } from "./explanation";
import { customerWindowStats, terminalWindowStats } from "./history";
import { customerStats, terminalStats } from "./validators";

/**
 * The scoring pipeline's database side. The scheduled actions (`score.ts`, `explain.ts`)
 * run at most once and can die at any point, so:
 * - each action reads everything in one query and writes everything in one mutation;
 * - writes are idempotent: a result is recorded only while the payment is still staged,
 *   an explanation only while it is missing, so a repeated run never writes twice;
 * - the sweeper (`convex/crons.ts`) retries payments whose scoring went quiet, fails them
 *   after {@link MAX_SCORING_ATTEMPTS}, and writes the template explanation when the
 *   explanation action went quiet; nothing stays pending forever.
 */

/** Scoring attempts before a payment is marked `failed`. */
export const MAX_SCORING_ATTEMPTS = 3;
/** How long a scored payment may wait for its explanation before the sweeper writes the template. */
export const EXPLANATION_TIMEOUT_MS = 60_000;
/** Rows the sweeper handles per run; the next run picks up the rest. */
const SWEEP_BATCH = 200;

/** Everything the scoring action needs, in one read; `null` when there is nothing to score. */
export const scoringInput = internalQuery({
  args: { paymentId: v.string() },
  returns: v.union(
    v.null(),
    v.object({
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
  ),
  handler: async (ctx, { paymentId }) => {
    const located = await locatePayment(ctx, paymentId);
    if (!located || located.table !== "tempTransactions") return null;
    const payment = located.doc;
    return {
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
  },
});

/**
 * Records a scoring result: moves the payment into `transactions` (same id) and schedules
 * its explanation. A no-op when the payment is gone or already scored, so a duplicate or
 * late attempt never writes a second result.
 */
export const recordScore = internalMutation({
  args: { paymentId: v.string(), fraud: fraudResult },
  returns: v.union(v.literal("scored"), v.literal("already_scored"), v.literal("gone")),
  handler: async (ctx, { paymentId, fraud }) => {
    const located = await locatePayment(ctx, paymentId);
    if (!located) return "gone";
    if (located.table === "transactions") return "already_scored";
    await promoteToScored(ctx, located.doc, fraud, Date.now() + EXPLANATION_TIMEOUT_MS);
    await ctx.scheduler.runAfter(0, internal.fraud.explain.explainPayment, { paymentId });
    return "scored";
  },
});

/**
 * Records a failed attempt the action could report: retries with backoff, or marks the
 * payment `failed` with the error once the attempts are used up. Reports from an attempt
 * that is no longer the latest are ignored.
 */
export const recordFailure = internalMutation({
  args: { paymentId: v.string(), attempt: v.number(), code: v.string(), message: v.string() },
  returns: v.union(v.literal("retrying"), v.literal("failed"), v.literal("ignored")),
  handler: async (ctx, { paymentId, attempt, code, message }) => {
    const located = await locatePayment(ctx, paymentId);
    if (!located || located.table !== "tempTransactions") return "ignored";
    const staged = located.doc;
    if (staged.status !== "pending" || attempt !== staged.attempts) return "ignored";
    if (staged.attempts >= MAX_SCORING_ATTEMPTS) {
      await ctx.db.patch("tempTransactions", staged._id, {
        status: "failed",
        error: { code, message },
      });
      return "failed";
    }
    await ctx.db.patch("tempTransactions", staged._id, { error: { code, message } });
    await scheduleScoring(ctx, staged, 1_000 * 2 ** (attempt - 1));
    return "retrying";
  },
});

/** What the explanation may say: the decision and its reasons, or `null` if already explained. */
export const explanationInput = internalQuery({
  args: { paymentId: v.string() },
  returns: v.union(
    v.null(),
    v.object({
      amount: v.number(),
      currency: v.string(),
      decision: fraudResult.fields.decision,
      score: v.number(),
      reasons: v.array(reason),
    }),
  ),
  handler: async (ctx, { paymentId }) => {
    const located = await locatePayment(ctx, paymentId);
    if (!located || located.table !== "transactions") return null;
    const { amount, currency, fraud } = located.doc;
    if (fraud.explanation !== undefined) return null;
    return {
      amount,
      currency,
      decision: fraud.decision,
      score: fraud.score,
      reasons: fraud.reasons,
    };
  },
});

/** Stores the explanation unless one is already there (first writer wins). */
export const recordExplanation = internalMutation({
  args: {
    paymentId: v.string(),
    text: v.string(),
    source: explanationSource,
    model: v.optional(v.string()),
  },
  returns: v.boolean(),
  handler: async (ctx, { paymentId, text, source, model }) => {
    const located = await locatePayment(ctx, paymentId);
    if (!located || located.table !== "transactions") return false;
    const doc = located.doc;
    if (doc.fraud.explanation !== undefined) return false;
    await ctx.db.patch("transactions", doc._id, {
      fraud: {
        ...doc.fraud,
        explanation: text,
        explanationSource: source,
        explanationModel: model,
        explainedAt: Date.now(),
      },
      explanationDueAt: undefined,
    });
    return true;
  },
});

/**
 * The safety net, run by cron: re-schedules payments whose scoring attempt went quiet
 * (the action died or was dropped), marks them `failed` after the last attempt, and writes
 * the template explanation for scored payments whose explanation never came.
 */
export const sweep = internalMutation({
  args: {},
  returns: v.object({ rescheduled: v.number(), failed: v.number(), explained: v.number() }),
  handler: async (ctx) => {
    const now = Date.now();
    let rescheduled = 0;
    let failed = 0;
    const stuck = await ctx.db
      .query("tempTransactions")
      .withIndex("by_status_and_retryAt", (q) => q.eq("status", "pending").lte("retryAt", now))
      .take(SWEEP_BATCH);
    for (const staged of stuck) {
      if (staged.attempts >= MAX_SCORING_ATTEMPTS) {
        await ctx.db.patch("tempTransactions", staged._id, {
          status: "failed",
          error: {
            code: "scoring_timeout",
            message: `No scoring result after ${staged.attempts} attempts.`,
          },
        });
        failed += 1;
      } else {
        await scheduleScoring(ctx, staged, 0);
        rescheduled += 1;
      }
    }

    const unexplained = await ctx.db
      .query("transactions")
      .withIndex("by_explanationDueAt", (q) =>
        q.gte("explanationDueAt", 0).lte("explanationDueAt", now),
      )
      .take(SWEEP_BATCH);
    for (const doc of unexplained) {
      const text = templateExplanation({
        amount: doc.amount,
        currency: doc.currency,
        decision: doc.fraud.decision,
        score: doc.fraud.score,
        reasons: doc.fraud.reasons,
      });
      await ctx.db.patch("transactions", doc._id, {
        fraud: { ...doc.fraud, explanation: text, explanationSource: "template", explainedAt: now },
        explanationDueAt: undefined,
      });
    }
    return { rescheduled, failed, explained: unexplained.length };
  },
});
