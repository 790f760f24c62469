import type { MutationCtx } from "../../_generated/server";
import { locatePayment } from "../payments/locate";
import { openReview } from "./reviews";

/**
 * What follows a recorded decision, in the mutation that recorded it: a `review` decision (by
 * the model or by a rule) opens the payment's one review. Idempotent: a payment that is not
 * scored, or already has its review, is left alone. Reads at most 2 payments and 1 review.
 */
export async function afterDecision(ctx: MutationCtx, paymentId: string): Promise<void> {
  const located = await locatePayment(ctx, paymentId);
  if (located?.table !== "transactions") return;
  if (located.doc.fraud.decision === "review") await openReview(ctx, located.doc);
}
