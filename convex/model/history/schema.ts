import { defineTable } from "convex/server";
import { v } from "convex/values";
import { customerStats, terminalStats } from "../../ml/statistics";
import { historySide } from "./validators";

/**
 * The history the features read, kept exact at any volume (see `windowStats.ts` for the reads):
 *
 * - `historyRows`: one small row per payment and side (its customer, its terminal), the truth.
 *   Written by the mutations that stage, label and delete payments (`aggregates.ts`); folded
 *   into the buckets by `model/history/folder.fold`.
 * - `customerBuckets` / `terminalBuckets`: the folded rows' statistics per key and time bucket
 *   (day, 6 h, 1 h, 10 min, 1 min; `ml/buckets.ts`). Written by `folder.fold` only, and, for rows
 *   already folded, by `transactions.labelForApi`, `transactions.deleteForApi` and
 *   `users.deleteStepForApi`. Requests never write a bucket a busy terminal's other requests
 *   write: the folder is one serial writer that folds many rows per transaction.
 */
export const historyTables = {
  historyRows: defineTable({
    side: historySide,
    /** The customer's user id, or the terminal id. */
    key: v.string(),
    timestamp: v.number(),
    amount: v.number(),
    /** The payment's fraud label as the terminal features see it (always false on customer rows). */
    fraud: v.boolean(),
    /** Arrival order, which breaks timestamp ties as the sequence does in training. */
    paymentId: v.string(),
    receivedAt: v.number(),
    /** Whether the buckets count it yet. */
    folded: v.boolean(),
  })
    .index("by_side_and_key_and_timestamp", ["side", "key", "timestamp"])
    .index("by_side_and_key_and_folded_and_timestamp", ["side", "key", "folded", "timestamp"])
    .index("by_folded", ["folded"]),

  customerBuckets: defineTable({
    userId: v.id("users"),
    /** Index into `BUCKET_LEVELS` (0 = day … 4 = minute). */
    level: v.number(),
    /** Bucket start (ms). */
    start: v.number(),
    stats: customerStats,
  }).index("by_userId_and_level_and_start", ["userId", "level", "start"]),

  terminalBuckets: defineTable({
    terminalId: v.string(),
    level: v.number(),
    start: v.number(),
    stats: terminalStats,
  }).index("by_terminalId_and_level_and_start", ["terminalId", "level", "start"]),

  /** Legacy (day aggregates read with raw edges); emptied by the `dropDayAggregates` migration. */
  customerDays: defineTable({
    userId: v.id("users"),
    day: v.number(),
    stats: customerStats,
  }).index("by_userId_and_day", ["userId", "day"]),

  /** Legacy, as `customerDays`. */
  terminalDays: defineTable({
    terminalId: v.string(),
    day: v.number(),
    stats: terminalStats,
  }).index("by_terminalId_and_day", ["terminalId", "day"]),
};
