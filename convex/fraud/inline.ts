import { internal } from "../_generated/api";
import type { HttpCtx } from "../rest/route";
import type { PaymentView } from "../model/payments/validators";

/**
 * A decision in the request (`POST /transactions` with `Prefer: wait=N`): the HTTP action runs
 * the scoring job itself and records its outcome, racing the pool's job for the same payment,
 * which stays enqueued so that a request that dies or gives up leaves nothing pending. Both
 * record through `recordScore`, which writes only while the payment is staged: it is scored
 * once, by whichever finishes first (the pool's job, when it starts after, reads a scored
 * payment and skips).
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
    const payment = await Promise.race([decided, deadline]);
    return payment?.status === "scored" ? payment : null;
  } catch {
    // A scoring that throws is retried by the pool; the caller gets the pending payment.
    return null;
  } finally {
    clearTimeout(timer);
    // The scoring keeps running past the deadline; its result is recorded or discarded then.
    decided.catch(() => undefined);
  }
}
