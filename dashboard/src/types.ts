import type { FunctionReturnType } from "convex/server";
import type { api } from "../../convex/_generated/api";

export type PaymentView = NonNullable<FunctionReturnType<typeof api.transactions.get>>;
export type ReviewView = FunctionReturnType<typeof api.reviews.queue>["page"][number];

/** The state a payment is in, as the feed shows it: its decision once scored. */
export function shownDecision(p: PaymentView): string {
  if (p.fraud === null) return p.status;
  return p.finalDecision ?? p.fraud.decision;
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString();
}

export function formatAmount(p: PaymentView): string {
  return `${p.amount.toFixed(2)} ${p.currency}`;
}
