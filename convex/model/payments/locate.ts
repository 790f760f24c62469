import type { Doc } from "../../_generated/dataModel";
import type { QueryCtx } from "../../_generated/server";
import { fail } from "../errors";
import { isPaymentIdShape } from "./ids";

export type StagedPayment = Doc<"tempTransactions">;
export type ScoredPayment = Doc<"transactions">;
export type PaymentDoc = StagedPayment | ScoredPayment;

/** Where a payment currently lives. */
export type LocatedPayment =
  { table: "tempTransactions"; doc: StagedPayment } | { table: "transactions"; doc: ScoredPayment };

/**
 * Finds a payment by its public id in whichever table holds it. Both lookups run in
 * the same transaction, so a payment being moved is seen exactly once. Reads at most 2 documents.
 */
export async function locatePayment(
  ctx: QueryCtx,
  paymentId: string,
): Promise<LocatedPayment | null> {
  if (!isPaymentIdShape(paymentId)) return null;
  const staged = await ctx.db
    .query("tempTransactions")
    .withIndex("by_paymentId", (q) => q.eq("paymentId", paymentId))
    .unique();
  if (staged) return { table: "tempTransactions", doc: staged };
  const scored = await ctx.db
    .query("transactions")
    .withIndex("by_paymentId", (q) => q.eq("paymentId", paymentId))
    .unique();
  return scored ? { table: "transactions", doc: scored } : null;
}

/** {@link locatePayment}, failing with `not_found` when there is no such payment. */
export async function requirePayment(ctx: QueryCtx, paymentId: string): Promise<LocatedPayment> {
  const located = await locatePayment(ctx, paymentId);
  if (!located) fail("not_found", "Payment not found.");
  return located;
}

/** The payment an idempotency key created, in either table. Reads at most 2 documents. */
export async function findByIdempotencyKey(ctx: QueryCtx, key: string): Promise<PaymentDoc | null> {
  const staged = await ctx.db
    .query("tempTransactions")
    .withIndex("by_idempotencyKey", (q) => q.eq("idempotencyKey", key))
    .first();
  if (staged) return staged;
  return await ctx.db
    .query("transactions")
    .withIndex("by_idempotencyKey", (q) => q.eq("idempotencyKey", key))
    .first();
}
