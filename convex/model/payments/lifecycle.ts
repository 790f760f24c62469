import type { Id } from "../../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../../_generated/server";
import { fail } from "../errors";
import {
  deleteCustomerHistory,
  recordInHistory,
  relabelInHistory,
  removeFromHistory,
} from "../history/aggregates";
import { randomPaymentId } from "./ids";
import {
  findByIdempotencyKey,
  locatePayment,
  type LocatedPayment,
  type PaymentDoc,
  type ScoredPayment,
  type StagedPayment,
} from "./locate";
import type {
  DescriptiveChanges,
  ExplanationSource,
  FeedbackLabel,
  Idempotency,
  NewPayment,
  ScoringError,
  StoredFraudResult,
} from "./validators";

/**
 * The life of a payment in the tables: staged, then scored (moved) or failed; its descriptive
 * fields and its label change; it is deleted. Every change keeps the day aggregates exact.
 */

/** Re-reads a document the mutation has just written. */
async function reread<T extends "tempTransactions" | "transactions">(
  ctx: QueryCtx,
  table: T,
  id: Id<T>,
) {
  const doc = await ctx.db.get(table, id);
  if (doc === null) throw new Error(`${table} ${id} vanished inside its own mutation`);
  return doc;
}

/**
 * Stages a new payment in `tempTransactions` with status `pending` and counts it in its
 * customer's and terminal's history, in one transaction (the caller enqueues its scoring in the
 * same one).
 *
 * With an idempotency key, a repeat of the same request returns the payment created
 * the first time (`created: false`); the same key with another body fails with
 * `idempotency_conflict`. Mutations are serializable, so two concurrent requests with
 * one key still create a single payment.
 */
export async function stagePayment(
  ctx: MutationCtx,
  input: NewPayment,
  idempotency: Idempotency | null,
): Promise<{ payment: PaymentDoc; created: boolean }> {
  if (idempotency) {
    const previous = await findByIdempotencyKey(ctx, idempotency.key);
    if (previous) {
      if (previous.requestHash !== idempotency.requestHash) {
        fail(
          "idempotency_conflict",
          "This Idempotency-Key was already used with a different request body.",
        );
      }
      return { payment: previous, created: false };
    }
  }
  const user = await ctx.db.get("users", input.userId);
  if (!user) {
    fail("user_not_found", "The user does not exist.", [
      { field: "userId", message: "no user with this id" },
    ]);
  }
  let paymentId = randomPaymentId();
  while (await locatePayment(ctx, paymentId)) paymentId = randomPaymentId();
  const now = Date.now();
  const timestamp = input.timestamp ?? now;
  const historyRows = await recordInHistory(ctx, {
    ...input,
    timestamp,
    paymentId,
    receivedAt: now,
  });
  const id = await ctx.db.insert("tempTransactions", {
    ...input,
    timestamp,
    paymentId,
    receivedAt: now,
    idempotencyKey: idempotency?.key,
    requestHash: idempotency?.requestHash,
    historyRows,
    status: "pending",
  });
  return { payment: await reread(ctx, "tempTransactions", id), created: true };
}

/** Updates the descriptive fields of a payment in whichever table holds it. */
export async function updatePaymentDetails(
  ctx: MutationCtx,
  located: LocatedPayment,
  changes: DescriptiveChanges,
): Promise<PaymentDoc> {
  if (located.table === "tempTransactions") {
    await ctx.db.patch("tempTransactions", located.doc._id, changes);
    return await reread(ctx, "tempTransactions", located.doc._id);
  }
  await ctx.db.patch("transactions", located.doc._id, changes);
  return await reread(ctx, "transactions", located.doc._id);
}

/** Records a ground-truth label (chargeback or confirmed review); relabelling overwrites. */
export async function labelPayment(
  ctx: MutationCtx,
  located: LocatedPayment,
  label: FeedbackLabel,
): Promise<PaymentDoc> {
  const patch = { label, labeledAt: Date.now() };
  let updated: PaymentDoc;
  if (located.table === "tempTransactions") {
    await ctx.db.patch("tempTransactions", located.doc._id, patch);
    updated = await reread(ctx, "tempTransactions", located.doc._id);
  } else {
    await ctx.db.patch("transactions", located.doc._id, patch);
    updated = await reread(ctx, "transactions", located.doc._id);
  }
  await relabelInHistory(ctx, updated);
  return updated;
}

/** Deletes a payment wherever it is, and takes it out of the day aggregates. */
export async function deletePayment(
  ctx: MutationCtx,
  located: LocatedPayment,
  options?: { customer: boolean },
): Promise<void> {
  if (located.table === "tempTransactions") {
    await ctx.db.delete("tempTransactions", located.doc._id);
  } else {
    await ctx.db.delete("transactions", located.doc._id);
  }
  await removeFromHistory(ctx, located.doc, options);
}

/**
 * Moves a staged payment into `transactions` with its fraud result, under the same
 * `paymentId`. Delete and insert happen in one mutation, so no reader ever sees the
 * payment in neither table or in both.
 */
export async function promoteToScored(
  ctx: MutationCtx,
  staged: StagedPayment,
  fraud: StoredFraudResult,
  explanation: Pick<ScoredPayment, "explanationDueAt" | "explanationJob">,
): Promise<ScoredPayment> {
  const {
    _id,
    _creationTime,
    status: _status,
    scoringJob: _scoringJob,
    inlineHandover: _inlineHandover,
    error: _error,
    attempts: _attempts,
    retryAt: _retryAt,
    ...payment
  } = staged;
  await ctx.db.delete("tempTransactions", _id);
  const id = await ctx.db.insert("transactions", {
    ...payment,
    status: "scored",
    fraud,
    ...explanation,
  });
  return await reread(ctx, "transactions", id);
}

/** Stores a scored payment's explanation unless one is already there; returns whether it wrote. */
export async function recordExplanation(
  ctx: MutationCtx,
  doc: ScoredPayment,
  written: { text: string; source: ExplanationSource; model?: string },
): Promise<boolean> {
  if (doc.fraud.explanation !== undefined) return false;
  await ctx.db.patch("transactions", doc._id, {
    fraud: {
      ...doc.fraud,
      explanation: written.text,
      explanationSource: written.source,
      explanationModel: written.model,
      explainedAt: Date.now(),
    },
    explanationDueAt: undefined,
    explanationJob: undefined,
  });
  return true;
}

/** Marks a staged payment's scoring as failed for good. */
export async function markScoringFailed(
  ctx: MutationCtx,
  staged: StagedPayment,
  error: ScoringError,
): Promise<void> {
  await ctx.db.patch("tempTransactions", staged._id, { status: "failed", error });
}

/** Whether the user has at least one payment in either table. */
export async function userHasPayments(ctx: QueryCtx, userId: Id<"users">): Promise<boolean> {
  const staged = await ctx.db
    .query("tempTransactions")
    .withIndex("by_userId_and_timestamp_and_paymentId", (q) => q.eq("userId", userId))
    .first();
  if (staged) return true;
  const scored = await ctx.db
    .query("transactions")
    .withIndex("by_userId_and_timestamp_and_paymentId", (q) => q.eq("userId", userId))
    .first();
  return scored !== null;
}

/**
 * One bounded step of deleting everything a user owns: up to `batchSize` payments, then
 * up to `batchSize` of its day aggregates. Returns whether anything is left.
 */
export async function deleteUserDataBatch(
  ctx: MutationCtx,
  userId: Id<"users">,
  batchSize: number,
): Promise<{ deleted: number; done: boolean }> {
  // The user's own aggregates go wholesale below; terminal aggregates are updated per payment.
  const keepCustomerHistory = { customer: false };
  const staged = await ctx.db
    .query("tempTransactions")
    .withIndex("by_userId_and_timestamp_and_paymentId", (q) => q.eq("userId", userId))
    .take(batchSize);
  for (const doc of staged) {
    await deletePayment(ctx, { table: "tempTransactions", doc }, keepCustomerHistory);
  }
  const scored = await ctx.db
    .query("transactions")
    .withIndex("by_userId_and_timestamp_and_paymentId", (q) => q.eq("userId", userId))
    .take(batchSize - staged.length);
  for (const doc of scored) {
    await deletePayment(ctx, { table: "transactions", doc }, keepCustomerHistory);
  }
  const payments = staged.length + scored.length;
  if (payments === batchSize) return { deleted: payments, done: false };
  const days = await deleteCustomerHistory(ctx, userId, batchSize - payments);
  return { deleted: payments, done: payments + days < batchSize };
}
