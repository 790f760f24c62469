import { mergedStream, stream, type QueryStream } from "convex-helpers/server/stream";
import type { Id } from "../../_generated/dataModel";
import type { QueryCtx } from "../../_generated/server";
import schema from "../../schema";
import type { PaymentDoc } from "./locate";
import type { Decision } from "../../ml/decision";
import type { PaymentStatus, PaymentView } from "./validators";
import { toPaymentView } from "./view";

/**
 * Which payments to list. `decision` (the scored decision) is served by its own index over
 * every customer's payments, so it does not combine with `userId`.
 */
export type PaymentListFilter =
  | { userId?: Id<"users">; status?: PaymentStatus; decision?: undefined }
  | { userId?: undefined; status?: PaymentStatus; decision: Decision };
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

function scoredStream(ctx: QueryCtx, filter: PaymentListFilter): QueryStream<PaymentDoc> {
  const db = stream(ctx.db, schema);
  const { userId, decision } = filter;
  if (decision) {
    return db
      .query("transactions")
      .withIndex("by_decision_and_timestamp_and_paymentId", (q) => q.eq("fraud.decision", decision))
      .order("desc");
  }
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
  // Staged payments have no decision yet.
  if (filter.status !== "scored" && filter.decision === undefined) {
    streams.push(stagedStream(ctx, filter));
  }
  if (filter.status === undefined || filter.status === "scored") {
    streams.push(scoredStream(ctx, filter));
  }
  if (streams.length === 0) return { page: [], isDone: true, continueCursor: page.cursor ?? "" };
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
