import type { MutationCtx } from "../../_generated/server";
import { recordAudit } from "../audit/audit";
import type { AuditActor } from "../audit/validators";
import { emitEvent } from "../webhooks/events";
import { labelPayment } from "./lifecycle";
import type { LocatedPayment, PaymentDoc } from "./locate";
import type { FeedbackLabel } from "./validators";
import { toPaymentView } from "./view";

/**
 * Records a ground-truth label as `POST /transactions/{id}/feedback` does: the label (and its
 * effect on later features, through the history), and one `payment.labeled` audit event with
 * the label before and after, and the `payment.labeled` webhook event. Resolving a review labels
 * through this same helper.
 */
export async function applyFeedback(
  ctx: MutationCtx,
  located: LocatedPayment,
  label: FeedbackLabel,
  actor: AuditActor,
): Promise<PaymentDoc> {
  const before = { label: located.doc.label ?? null };
  const updated = await labelPayment(ctx, located, label);
  await recordAudit(ctx, {
    actor,
    action: "payment.labeled",
    target: { type: "payment", id: updated.paymentId },
    before,
    after: { label },
  });
  await emitEvent(ctx, "payment.labeled", toPaymentView(updated));
  return updated;
}
