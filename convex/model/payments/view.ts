import { riskLevelOf, type Decision } from "../../ml/decision";
import type { PaymentDoc } from "./locate";
import type { PaymentPage, PaymentView } from "./validators";

/** The decision that stands: a resolved review's verdict, else the scored `allow` or `block`. */
function finalDecisionOf(doc: PaymentDoc): Decision | null {
  if (doc.status !== "scored") return null;
  if (doc.finalDecision) return doc.finalDecision;
  return doc.fraud.decision === "review" ? null : doc.fraud.decision;
}

/** The public shape of a payment, the same for both tables. */
export function toPaymentView(doc: PaymentDoc): PaymentView {
  const scored = doc.status === "scored" ? doc : null;
  const staged = doc.status === "scored" ? null : doc;
  let fraud = null;
  if (scored) {
    const { level: _stored, ...result } = scored.fraud;
    fraud = { ...result, level: riskLevelOf(result.decision) };
  }
  return {
    id: doc.paymentId,
    userId: doc.userId,
    amount: doc.amount,
    currency: doc.currency,
    terminalId: doc.terminalId,
    timestamp: doc.timestamp,
    productCategory: doc.productCategory ?? null,
    customerLocation: doc.customerLocation ?? null,
    metadata: doc.metadata ?? null,
    status: doc.status,
    label: doc.label ?? null,
    labeledAt: doc.labeledAt ?? null,
    receivedAt: doc.receivedAt,
    fraud,
    error: staged?.error ?? null,
    review: scored?.review
      ? {
          id: scored.review.id,
          status: scored.review.status,
          outcome: scored.review.outcome ?? null,
        }
      : null,
    finalDecision: finalDecisionOf(doc),
  };
}

/** Converts a paginate result into the REST list shape. */
export function toPaymentPage(result: {
  page: PaymentView[];
  isDone: boolean;
  continueCursor: string;
}): PaymentPage {
  return { data: result.page, nextCursor: result.isDone ? null : result.continueCursor };
}
