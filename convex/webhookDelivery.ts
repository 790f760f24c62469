import { vOnCompleteArgs } from "@convex-dev/workpool";
import { v } from "convex/values";
import { internal } from "./_generated/api";
import { internalAction, internalMutation, internalQuery } from "./_generated/server";
import { attemptInputFor, recordAttempt, recoverLostAttempts } from "./model/webhooks/delivery";
import { attemptDelivery } from "./model/webhooks/send";
import { attemptInput, attemptOutcome, type AttemptOutcome } from "./model/webhooks/validators";

/**
 * The webhook job, one attempt per job on the webhook pool: one query for what to send, one
 * signed POST, and the outcome returned to the pool; `recordOutcome` writes it and schedules
 * the next attempt. The job writes nothing itself.
 */

export const input = internalQuery({
  args: { deliveryId: v.id("webhookDeliveries") },
  returns: attemptInput,
  handler: async (ctx, { deliveryId }) => await attemptInputFor(ctx, deliveryId),
});

export const send = internalAction({
  args: { deliveryId: v.id("webhookDeliveries") },
  returns: attemptOutcome,
  handler: async (ctx, { deliveryId }): Promise<AttemptOutcome> => {
    const ready = await ctx.runQuery(internal.webhookDelivery.input, { deliveryId });
    if (ready.kind !== "ready") return ready;
    return await attemptDelivery(ready);
  },
});

/** The pool's `onComplete`: records the attempt (a job that died counts as a failed one). */
export const recordOutcome = internalMutation({
  args: vOnCompleteArgs(v.object({ deliveryId: v.id("webhookDeliveries") }), attemptOutcome),
  returns: v.null(),
  handler: async (ctx, { context: { deliveryId }, result }) => {
    const now = Date.now();
    const outcome: AttemptOutcome =
      result.kind === "success"
        ? result.returnValue
        : {
            kind: "attempted",
            ok: false,
            error: result.kind === "canceled" ? "attempt canceled" : result.error.slice(0, 300),
            startedAt: now,
            finishedAt: now,
          };
    await recordAttempt(ctx, deliveryId, outcome);
    return null;
  },
});

/** Run by cron: re-enqueues attempts whose job the pool lost (see `recoverLostAttempts`). */
export const watchdog = internalMutation({
  args: {},
  returns: v.object({ recovered: v.number() }),
  handler: async (ctx) => ({ recovered: await recoverLostAttempts(ctx) }),
});
