import type { MutationCtx } from "../../_generated/server";
import { locatePayment } from "../payments/locate";
import { toPaymentView } from "../payments/view";
import { emitEvent } from "../webhooks/events";
import { openReview, toReviewView } from "./reviews";

/**
 * What follows a recorded decision, in the mutation that recorded it (call it once, when the
 * decision was recorded): a `review` decision (by the model or by a rule) opens the payment's
 * one review (`openReview` is idempotent too), and the `payment.scored` and `review.opened`
 * webhook events go out. Reads at most 4 payments, 1 review and the webhook endpoints.
 */
export async function afterDecision(ctx: MutationCtx, paymentId: string): Promise<void> {
  const located = await locatePayment(ctx, paymentId);
  if (located?.table !== "transactions") return;
  const review =
    located.doc.fraud.decision === "review" ? await openReview(ctx, located.doc) : null;
  const scored = review ? await ctx.db.get("transactions", located.doc._id) : located.doc;
  if (scored) await emitEvent(ctx, "payment.scored", toPaymentView(scored));
  if (review) await emitEvent(ctx, "review.opened", await toReviewView(ctx, review));
}
