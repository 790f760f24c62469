import { mergedStream, stream, type QueryStream } from "convex-helpers/server/stream";
import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import {
  deleteCustomerHistory,
  recordInHistory,
  relabelInHistory,
  removeFromHistory,
} from "../fraud/history";
import schema from "../schema";
import { fail } from "./errors";
import type {
  FraudResult,
  FeedbackLabel,
  Metadata,
  PaymentPage,
  PaymentStatus,
  PaymentView,
} from "./validators";

export type StagedPayment = Doc<"tempTransactions">;
export type ScoredPayment = Doc<"transactions">;
export type PaymentDoc = StagedPayment | ScoredPayment;

/** Where a payment currently lives. */
export type LocatedPayment =
  { table: "tempTransactions"; doc: StagedPayment } | { table: "transactions"; doc: ScoredPayment };

/** The payment fields a client sends; defaults are already applied. */
export type NewPayment = {
  userId: Id<"users">;
  amount: number;
  currency: string;
  terminalId: string;
  /** Defaults to the time the payment is received. */
  timestamp?: number;
  productCategory?: string;
  customerLocation?: string;
  metadata?: Metadata;
};

export type DescriptiveChanges = {
  productCategory?: string;
  customerLocation?: string;
  metadata?: Metadata;
};

export type Idempotency = { key: string; requestHash: string };

const PAYMENT_ID_PREFIX = "pay_";
const PAYMENT_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** Whether a string has the shape of a payment id (cheap check before any lookup). */
export function isPaymentIdShape(id: string): boolean {
  return /^pay_[0-9a-z]{20}$/.test(id);
}

function randomPaymentId(): string {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  let id = PAYMENT_ID_PREFIX;
  for (const byte of bytes) id += PAYMENT_ID_ALPHABET[byte % PAYMENT_ID_ALPHABET.length];
  return id;
}

/**
 * Finds a payment by its public id in whichever table holds it. Both lookups run in
 * the same transaction, so a payment being moved is seen exactly once.
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

/** The public shape of a payment, the same for both tables. */
export function toPaymentView(doc: PaymentDoc): PaymentView {
  const scored = doc.status === "scored" ? doc : null;
  const staged = doc.status === "scored" ? null : doc;
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
    fraud: scored?.fraud ?? null,
    error: staged?.error ?? null,
  };
}

async function findByIdempotencyKey(ctx: QueryCtx, key: string): Promise<PaymentDoc | null> {
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

/** How long a scoring attempt may stay silent before the sweeper treats it as lost. */
export const PENDING_TIMEOUT_MS = 60_000;

/**
 * Schedules the next scoring attempt of a staged payment. The attempt number lets the
 * pipeline ignore reports from superseded attempts; `retryAt` tells the sweeper when to
 * consider this one lost.
 */
export async function scheduleScoring(
  ctx: MutationCtx,
  staged: StagedPayment,
  delayMs: number,
): Promise<void> {
  const attempt = staged.attempts + 1;
  await ctx.db.patch("tempTransactions", staged._id, {
    attempts: attempt,
    retryAt: Date.now() + delayMs + PENDING_TIMEOUT_MS,
  });
  await ctx.scheduler.runAfter(delayMs, internal.fraud.score.scorePayment, {
    paymentId: staged.paymentId,
    attempt,
  });
}

/**
 * Stages a new payment in `tempTransactions` with status `pending`, counts it in its
 * customer's and terminal's history, and schedules its scoring, all in one transaction.
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
): Promise<{ payment: StagedPayment | ScoredPayment; created: boolean }> {
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
  const id = await ctx.db.insert("tempTransactions", {
    ...input,
    timestamp: input.timestamp ?? now,
    paymentId,
    receivedAt: now,
    idempotencyKey: idempotency?.key,
    requestHash: idempotency?.requestHash,
    status: "pending",
    attempts: 0,
    retryAt: now + PENDING_TIMEOUT_MS,
  });
  const staged = (await ctx.db.get("tempTransactions", id))!;
  await recordInHistory(ctx, staged);
  await scheduleScoring(ctx, staged, 0);
  return { payment: (await ctx.db.get("tempTransactions", id))!, created: true };
}

/** Updates the descriptive fields of a payment in whichever table holds it. */
export async function updatePaymentDetails(
  ctx: MutationCtx,
  paymentId: string,
  changes: DescriptiveChanges,
): Promise<PaymentDoc> {
  const located = await locatePayment(ctx, paymentId);
  if (!located) fail("not_found", "Payment not found.");
  if (located.table === "tempTransactions") {
    await ctx.db.patch("tempTransactions", located.doc._id, changes);
    return (await ctx.db.get("tempTransactions", located.doc._id))!;
  }
  await ctx.db.patch("transactions", located.doc._id, changes);
  return (await ctx.db.get("transactions", located.doc._id))!;
}

/** Records a ground-truth label (chargeback or confirmed review); relabelling overwrites. */
export async function labelPayment(
  ctx: MutationCtx,
  paymentId: string,
  label: FeedbackLabel,
): Promise<PaymentDoc> {
  const located = await locatePayment(ctx, paymentId);
  if (!located) fail("not_found", "Payment not found.");
  const patch = { label, labeledAt: Date.now() };
  let updated: PaymentDoc;
  if (located.table === "tempTransactions") {
    await ctx.db.patch("tempTransactions", located.doc._id, patch);
    updated = (await ctx.db.get("tempTransactions", located.doc._id))!;
  } else {
    await ctx.db.patch("transactions", located.doc._id, patch);
    updated = (await ctx.db.get("transactions", located.doc._id))!;
  }
  await relabelInHistory(ctx, located.doc, updated);
  return updated;
}

/** Deletes a payment wherever it is; returns false when there was nothing to delete. */
export async function deletePayment(ctx: MutationCtx, paymentId: string): Promise<boolean> {
  const located = await locatePayment(ctx, paymentId);
  if (!located) return false;
  await removeLocated(ctx, located);
  return true;
}

async function removeLocated(
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
  fraud: FraudResult,
  explanationDueAt?: number,
): Promise<ScoredPayment> {
  const {
    _id,
    _creationTime,
    status: _status,
    attempts: _attempts,
    retryAt: _retryAt,
    error: _error,
    ...payment
  } = staged;
  await ctx.db.delete("tempTransactions", _id);
  const id = await ctx.db.insert("transactions", {
    ...payment,
    status: "scored",
    fraud,
    explanationDueAt,
  });
  return (await ctx.db.get("transactions", id))!;
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
    await removeLocated(ctx, { table: "tempTransactions", doc }, keepCustomerHistory);
  }
  const scored = await ctx.db
    .query("transactions")
    .withIndex("by_userId_and_timestamp_and_paymentId", (q) => q.eq("userId", userId))
    .take(batchSize - staged.length);
  for (const doc of scored) {
    await removeLocated(ctx, { table: "transactions", doc }, keepCustomerHistory);
  }
  const payments = staged.length + scored.length;
  if (payments === batchSize) return { deleted: payments, done: false };
  const days = await deleteCustomerHistory(ctx, userId, batchSize - payments);
  return { deleted: payments, done: payments + days < batchSize };
}

export type PaymentListFilter = { userId?: Id<"users">; status?: PaymentStatus };
export type PageRequest = { numItems: number; cursor: string | null; endCursor?: string | null };

/** The fields every merged payment stream is ordered by (newest first). */
const LIST_ORDER = ["timestamp", "paymentId"];

function stagedStream(ctx: QueryCtx, filter: PaymentListFilter): QueryStream<PaymentDoc> {
  const db = stream(ctx.db, schema);
  const { userId, status } = filter;
  if (status === "scored") throw new Error("scored payments are not staged");
  if (userId && status) {
    return db
      .query("tempTransactions")
      .withIndex("by_userId_and_status_and_timestamp_and_paymentId", (q) =>
        q.eq("userId", userId).eq("status", status),
      )
      .order("desc");
  }
  if (userId) {
    return db
      .query("tempTransactions")
      .withIndex("by_userId_and_timestamp_and_paymentId", (q) => q.eq("userId", userId))
      .order("desc");
  }
  if (status) {
    return db
      .query("tempTransactions")
      .withIndex("by_status_and_timestamp_and_paymentId", (q) => q.eq("status", status))
      .order("desc");
  }
  return db.query("tempTransactions").withIndex("by_timestamp_and_paymentId").order("desc");
}

function scoredStream(ctx: QueryCtx, userId: Id<"users"> | undefined): QueryStream<PaymentDoc> {
  const db = stream(ctx.db, schema);
  if (userId) {
    return db
      .query("transactions")
      .withIndex("by_userId_and_timestamp_and_paymentId", (q) => q.eq("userId", userId))
      .order("desc");
  }
  return db.query("transactions").withIndex("by_timestamp_and_paymentId").order("desc");
}

/**
 * Lists payments newest first (by `timestamp`, then `paymentId`) across both payment
 * tables. The cursor is a position in that order, not in a table, so a payment that
 * moves from `tempTransactions` to `transactions` between two pages is neither
 * skipped nor repeated. Reads at most about `numItems` documents per table.
 */
export async function listPayments(
  ctx: QueryCtx,
  filter: PaymentListFilter,
  page: PageRequest,
): Promise<{ page: PaymentView[]; isDone: boolean; continueCursor: string }> {
  const streams: QueryStream<PaymentDoc>[] = [];
  if (filter.status !== "scored") streams.push(stagedStream(ctx, filter));
  if (filter.status === undefined || filter.status === "scored") {
    streams.push(scoredStream(ctx, filter.userId));
  }
  // Merging even a single stream strips the equality prefix from its index key, so
  // every cursor has the same shape: [timestamp, paymentId, _creationTime, _id].
  const merged = mergedStream(streams, [...LIST_ORDER]);
  const result = await merged.paginate({
    numItems: page.numItems,
    cursor: page.cursor,
    endCursor: page.endCursor ?? undefined,
  });
  return {
    page: result.page.map(toPaymentView),
    isDone: result.isDone,
    continueCursor: result.continueCursor,
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
