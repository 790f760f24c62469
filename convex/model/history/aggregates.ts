import type { Doc, Id } from "../../_generated/dataModel";
import type { MutationCtx } from "../../_generated/server";
import { BUCKET_LEVELS, bucketStart, FINEST_LEVEL } from "../../ml/buckets";
import { toCents, type CustomerWindowStats, type TerminalWindowStats } from "../../ml/statistics";
import { pingFolder } from "./folder";
import { customerSide, rowsIn, terminalSide, type HistoryRow } from "./sides";

/**
 * Upkeep of the history by the mutations that stage, label and delete payments. A new payment
 * only inserts its two rows (its customer's and its terminal's), unfolded: the folder adds them
 * to the buckets later, many at a time, so requests of a busy terminal never write the same
 * document. A label or a delete changes the rows; for rows already folded it also corrects the
 * buckets (those writes are spread over the payment's past, not hot).
 */

/** The part of a payment the history keeps track of. */
export type HistoryPayment = Pick<
  Doc<"tempTransactions">,
  "paymentId" | "userId" | "terminalId" | "timestamp" | "amount" | "label" | "receivedAt"
>;

/** Inserts a new payment's history rows and wakes the folder; returns the rows' ids. */
export async function recordInHistory(
  ctx: MutationCtx,
  payment: HistoryPayment,
): Promise<{ customer: Id<"historyRows">; terminal: Id<"historyRows"> }> {
  const row = {
    timestamp: payment.timestamp,
    amount: payment.amount,
    paymentId: payment.paymentId,
    receivedAt: payment.receivedAt,
    folded: false,
  };
  const customer = await ctx.db.insert("historyRows", {
    ...row,
    side: "customer",
    key: payment.userId,
    fraud: false,
  });
  const terminal = await ctx.db.insert("historyRows", {
    ...row,
    side: "terminal",
    key: payment.terminalId,
    fraud: payment.label === "fraud",
  });
  await pingFolder(ctx);
  return { customer, terminal };
}

/** Terminal buckets minus one folded row at every level (all its fields are sums). */
async function unfoldTerminalRow(ctx: MutationCtx, row: HistoryRow) {
  const one = terminalSide.kind.add(terminalSide.kind.empty(), terminalSide.row(row));
  for (let level = FINEST_LEVEL; level >= 0; level--) {
    const start = bucketStart(row.timestamp, level);
    const bucket = await terminalSide.bucket(ctx, row.key, level, start);
    if (!bucket) continue;
    const stats: TerminalWindowStats = {
      count: bucket.stats.count - one.count,
      frauds: bucket.stats.frauds - one.frauds,
      fraudAmountCents: bucket.stats.fraudAmountCents - one.fraudAmountCents,
    };
    await terminalSide.writeBucket(ctx, row.key, level, start, bucket, stats);
  }
}

/**
 * Customer buckets minus one folded row (deleted just before) at every level, finest first.
 * Sums are subtracted; a maximum the row held is recomputed from what remains: the folded rows of
 * its minute, then each coarser bucket from its children (at most 10 of them).
 */
async function unfoldCustomerRow(ctx: MutationCtx, row: HistoryRow) {
  const userId = row.key as Id<"users">;
  const cents = toCents(row.amount);
  for (let level = FINEST_LEVEL; level >= 0; level--) {
    const start = bucketStart(row.timestamp, level);
    const bucket = await customerSide.bucket(ctx, userId, level, start);
    if (!bucket) continue;
    const stats: CustomerWindowStats = {
      count: bucket.stats.count - 1,
      amountCents: bucket.stats.amountCents - cents,
      amountCentsSq: bucket.stats.amountCentsSq - cents * cents,
      maxAmountCents: bucket.stats.maxAmountCents,
    };
    if (stats.count > 0 && cents >= bucket.stats.maxAmountCents) {
      stats.maxAmountCents = 0;
      if (level === FINEST_LEVEL) {
        const minute = { after: start - 1, atMost: start + BUCKET_LEVELS[level] - 1 };
        for (const r of await rowsIn(ctx, "customer", userId, minute)) {
          if (r.folded) stats.maxAmountCents = Math.max(stats.maxAmountCents, toCents(r.amount));
        }
      } else {
        const children = { level: level + 1, from: start, to: start + BUCKET_LEVELS[level] };
        for (const child of await customerSide.buckets(ctx, userId, children)) {
          stats.maxAmountCents = Math.max(stats.maxAmountCents, child.stats.maxAmountCents);
        }
      }
    }
    await customerSide.writeBucket(ctx, userId, level, start, bucket, stats);
  }
}

/** The rows of a payment, those that still exist. */
async function rowsOf(ctx: MutationCtx, payment: Pick<Doc<"tempTransactions">, "historyRows">) {
  if (!payment.historyRows) return [];
  const rows = [
    await ctx.db.get("historyRows", payment.historyRows.customer),
    await ctx.db.get("historyRows", payment.historyRows.terminal),
  ];
  return rows.filter((r): r is HistoryRow => r !== null);
}

/** Takes a deleted payment out of the history. `customer: false` keeps its customer row's
 * buckets as they are (a cascade delete removes the customer's buckets wholesale). */
export async function removeFromHistory(
  ctx: MutationCtx,
  payment: Pick<Doc<"tempTransactions">, "historyRows">,
  { customer = true }: { customer?: boolean } = {},
): Promise<void> {
  for (const row of await rowsOf(ctx, payment)) {
    await ctx.db.delete("historyRows", row._id);
    if (!row.folded) continue;
    if (row.side === "terminal") await unfoldTerminalRow(ctx, row);
    else if (customer) await unfoldCustomerRow(ctx, row);
  }
}

/** Updates the terminal's history when a payment's label changes. */
export async function relabelInHistory(
  ctx: MutationCtx,
  payment: Pick<Doc<"tempTransactions">, "historyRows" | "label">,
): Promise<void> {
  const fraud = payment.label === "fraud";
  for (const row of await rowsOf(ctx, payment)) {
    if (row.side !== "terminal" || row.fraud === fraud) continue;
    await ctx.db.patch("historyRows", row._id, { fraud });
    if (!row.folded) continue;
    // The buckets count the row with its old label: take it out, put it back relabelled.
    await unfoldTerminalRow(ctx, row);
    await foldTerminalRow(ctx, { ...row, fraud });
  }
}

/** Adds one row to the terminal buckets at every level (a relabelled, already folded row). */
async function foldTerminalRow(ctx: MutationCtx, row: HistoryRow) {
  for (let level = 0; level <= FINEST_LEVEL; level++) {
    const start = bucketStart(row.timestamp, level);
    const bucket = await terminalSide.bucket(ctx, row.key, level, start);
    const stats = terminalSide.kind.add(
      terminalSide.kind.merge(
        terminalSide.kind.empty(),
        bucket?.stats ?? terminalSide.kind.empty(),
      ),
      terminalSide.row(row),
    );
    await terminalSide.writeBucket(ctx, row.key, level, start, bucket, stats);
  }
}

/** Deletes up to `batchSize` of a user's customer buckets; returns how many it deleted. */
export async function deleteCustomerHistory(
  ctx: MutationCtx,
  userId: Id<"users">,
  batchSize: number,
): Promise<number> {
  const buckets = await ctx.db
    .query("customerBuckets")
    .withIndex("by_userId_and_level_and_start", (q) => q.eq("userId", userId))
    .take(batchSize);
  for (const b of buckets) await ctx.db.delete("customerBuckets", b._id);
  return buckets.length;
}
