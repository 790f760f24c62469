import { internal } from "../_generated/api";
import type { HttpCtx } from "../rest/route";
import type { PaymentView } from "../model/payments/validators";

/**
 * A decision in the request (`POST /transactions` with `Prefer: wait=N`): the HTTP action runs
 * the scoring job itself and records its outcome. The payment was staged without a pool job but
 * with a scheduled hand-over (`INLINE_HANDOVER_MS`), so a request that dies leaves nothing
 * pending; one that gives up or fails hands over at once. When both paths run, both record
 * through `recordScore`, which writes only while the payment is staged: it is scored once, by
 * whichever finishes first.
 *
 * Returns the payment once scored within `waitMs`, or `null` (still pending, failed, or gone:
 * the caller answers 202 as without the preference).
 */
export async function decideInline(
  ctx: HttpCtx,
  paymentId: string,
  waitMs: number,
): Promise<PaymentView | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), waitMs);
  });
  const decided = (async () => {
    const outcome = await ctx.runAction(internal.fraud.scoringAction.score, { paymentId });
    return await ctx.runMutation(internal.fraud.scoring.recordInline, { paymentId, outcome });
  })();
  try {
    const payment = await Promise.race([decided, deadline]).catch(() => null);
    if (payment?.status === "scored") return payment;
    // Too slow, or it threw (the pool retries it): the pool takes the payment now, rather than
    // when the scheduled hand-over runs; the caller gets the pending payment.
    // If even that fails, the scheduled hand-over still runs.
    await ctx.runMutation(internal.fraud.scoring.handOver, { paymentId }).catch(() => undefined);
    return null;
  } finally {
    clearTimeout(timer);
    // The scoring keeps running past the deadline; its result is recorded or discarded then.
    decided.catch(() => undefined);
  }
}
