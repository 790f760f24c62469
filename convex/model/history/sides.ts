import { ConvexError } from "convex/values";
import type { Doc, Id } from "../../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../../_generated/server";
import type { BucketRun } from "../../ml/buckets";
import { BUCKET_LEVELS } from "../../ml/buckets";
import {
  customerStatsKind,
  terminalStatsKind,
  type CustomerHistoryRow,
  type CustomerWindowStats,
  type StatsKind,
  type TerminalHistoryRow,
  type TerminalWindowStats,
} from "../../ml/statistics";
import type { TimeRange } from "../../ml/windows";
import type { HistorySideName } from "./validators";

/**
 * The two sides of a payment's history, customer and terminal, behind one interface, so the
 * upkeep (`aggregates.ts`, `folder.ts`) and the reads (`windowStats.ts`) are written once. Each
 * side names its statistics and its bucket table; the rows of both live in `historyRows`.
 */

export type HistoryRow = Doc<"historyRows">;
type BucketDoc<S> = { _id: string; level: number; start: number; stats: S };

/**
 * Rows one raw range (a partial minute at a window's edge) may hold: a terminal taking more than
 * 1,000 payments in one minute (1.4 million a day) fails at once with `history_too_dense`
 * rather than read past Convex's limits.
 */
export const MAX_RAW_ROWS = 1_000;

/** What `history_too_dense` carries across the scoring query's boundary. */
export type HistoryTooDense = { code: "history_too_dense"; message: string };

export interface HistorySide<S, Row extends { timestamp: number }, Key extends string> {
  readonly name: HistorySideName;
  readonly kind: StatsKind<S, Row>;
  /** The statistics row of a history row. */
  row: (r: Pick<HistoryRow, "timestamp" | "amount" | "fraud">) => Row;
  /** The buckets of one run (at most one document per bucket). */
  buckets: (ctx: QueryCtx, key: Key, run: BucketRun) => Promise<BucketDoc<S>[]>;
  bucket: (ctx: QueryCtx, key: Key, level: number, start: number) => Promise<BucketDoc<S> | null>;
  /** Writes a bucket's statistics: insert, patch, or delete when it became empty. */
  writeBucket: (
    ctx: MutationCtx,
    key: Key,
    level: number,
    start: number,
    existing: BucketDoc<S> | null,
    stats: S,
  ) => Promise<void>;
}

/** Rows of one side and key with a timestamp in `r`; `history_too_dense` past the bound. */
export async function rowsIn(
  ctx: QueryCtx,
  side: HistorySideName,
  key: string,
  r: TimeRange,
): Promise<HistoryRow[]> {
  const rows = await ctx.db
    .query("historyRows")
    .withIndex("by_side_and_key_and_timestamp", (q) =>
      q.eq("side", side).eq("key", key).gt("timestamp", r.after).lte("timestamp", r.atMost),
    )
    .take(MAX_RAW_ROWS + 1);
  if (rows.length > MAX_RAW_ROWS) {
    const data: HistoryTooDense = {
      code: "history_too_dense",
      message: `more than ${MAX_RAW_ROWS} ${side} payments in one minute at a window edge`,
    };
    throw new ConvexError(data);
  }
  return rows;
}

/** How many buckets a run spans: the bound of its read. */
export function runLength(run: BucketRun): number {
  return Math.round((run.to - run.from) / BUCKET_LEVELS[run.level]);
}

const customerBucket = (ctx: QueryCtx, userId: Id<"users">, level: number, start: number) =>
  ctx.db
    .query("customerBuckets")
    .withIndex("by_userId_and_level_and_start", (q) =>
      q.eq("userId", userId).eq("level", level).eq("start", start),
    )
    .unique();

const terminalBucket = (ctx: QueryCtx, terminalId: string, level: number, start: number) =>
  ctx.db
    .query("terminalBuckets")
    .withIndex("by_terminalId_and_level_and_start", (q) =>
      q.eq("terminalId", terminalId).eq("level", level).eq("start", start),
    )
    .unique();

export const customerSide: HistorySide<CustomerWindowStats, CustomerHistoryRow, Id<"users">> = {
  name: "customer",
  kind: customerStatsKind,
  row: (r) => ({ timestamp: r.timestamp, amount: r.amount }),
  buckets: (ctx, userId, run) =>
    ctx.db
      .query("customerBuckets")
      .withIndex("by_userId_and_level_and_start", (q) =>
        q.eq("userId", userId).eq("level", run.level).gte("start", run.from).lt("start", run.to),
      )
      .take(runLength(run)),
  bucket: customerBucket,
  async writeBucket(ctx, userId, level, start, existing, stats) {
    const id = existing?._id as Id<"customerBuckets"> | undefined;
    if (stats.count === 0) {
      if (id) await ctx.db.delete("customerBuckets", id);
    } else if (id) {
      await ctx.db.patch("customerBuckets", id, { stats });
    } else {
      await ctx.db.insert("customerBuckets", { userId, level, start, stats });
    }
  },
};

export const terminalSide: HistorySide<TerminalWindowStats, TerminalHistoryRow, string> = {
  name: "terminal",
  kind: terminalStatsKind,
  row: (r) => ({ timestamp: r.timestamp, amount: r.amount, fraud: r.fraud }),
  buckets: (ctx, terminalId, run) =>
    ctx.db
      .query("terminalBuckets")
      .withIndex("by_terminalId_and_level_and_start", (q) =>
        q
          .eq("terminalId", terminalId)
          .eq("level", run.level)
          .gte("start", run.from)
          .lt("start", run.to),
      )
      .take(runLength(run)),
  bucket: terminalBucket,
  async writeBucket(ctx, terminalId, level, start, existing, stats) {
    const id = existing?._id as Id<"terminalBuckets"> | undefined;
    if (stats.count === 0) {
      if (id) await ctx.db.delete("terminalBuckets", id);
    } else if (id) {
      await ctx.db.patch("terminalBuckets", id, { stats });
    } else {
      await ctx.db.insert("terminalBuckets", { terminalId, level, start, stats });
    }
  },
};

/** The side of a history row, with its key typed. */
export function sideOf(row: HistoryRow) {
  return row.side === "customer"
    ? { side: customerSide, key: row.key as Id<"users"> }
    : { side: terminalSide, key: row.key };
}
