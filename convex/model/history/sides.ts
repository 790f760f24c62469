import type { Doc, Id } from "../../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../../_generated/server";
import { ConvexError } from "convex/values";
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

/**
 * The two sides of a payment's history, customer and terminal, behind one interface, so the
 * aggregate upkeep (`aggregates.ts`) and the window reads (`windowStats.ts`) are written once.
 * Each side names its statistics, its day-aggregate table and how to read its raw payments.
 */

/** The part of a payment the history keeps track of. */
export type HistoryPayment = Pick<
  Doc<"tempTransactions">,
  "userId" | "terminalId" | "timestamp" | "amount" | "label"
>;

/** A raw payment of one side in a time range, from either payment table. */
export type RawPayment = Doc<"tempTransactions"> | Doc<"transactions">;

/**
 * Raw rows one window edge may hold at most: a day of one customer's or one terminal's
 * payments (a terminal with 100,000 payments a month has about 3,300 a day). Beyond it,
 * scoring fails at once with `history_too_dense` instead of reading past Convex's limits.
 */
export const MAX_ROWS_PER_RANGE = 8_000;
/** Day aggregates a window span may cover (38 for the delayed 30-day terminal window). */
export const MAX_DAYS_PER_SPAN = 64;

/** What `history_too_dense` carries across the scoring query's boundary. */
export type HistoryTooDense = { code: "history_too_dense"; message: string };

type DayDoc<S> = { day: number; stats: S };

export interface HistorySide<S, Row extends { timestamp: number }, Key extends string = string> {
  readonly name: "customer" | "terminal";
  readonly kind: StatsKind<S, Row>;
  /** The side's key of a payment: its customer or its terminal. */
  key: (payment: HistoryPayment) => Key;
  /** The statistics row of a raw payment. */
  row: (payment: HistoryPayment) => Row;
  day: (ctx: QueryCtx, key: Key, day: number) => Promise<DayDoc<S> | null>;
  /** Day aggregates with `first <= day <= last` (at most {@link MAX_DAYS_PER_SPAN}). */
  days: (ctx: QueryCtx, key: Key, first: number, last: number) => Promise<DayDoc<S>[]>;
  /** Writes a day's statistics; an empty day's row is deleted. */
  writeDay: (ctx: MutationCtx, key: Key, day: number, stats: S) => Promise<void>;
  /** Raw payments (both tables) with a timestamp in `range`; `history_too_dense` past the bound. */
  paymentsIn: (ctx: QueryCtx, key: Key, range: TimeRange) => Promise<RawPayment[]>;
}

async function bounded<T>(query: { take(n: number): Promise<T[]> }, side: string): Promise<T[]> {
  const rows = await query.take(MAX_ROWS_PER_RANGE + 1);
  if (rows.length > MAX_ROWS_PER_RANGE) {
    const data: HistoryTooDense = {
      code: "history_too_dense",
      message: `more than ${MAX_ROWS_PER_RANGE} ${side} payments in one window edge`,
    };
    throw new ConvexError(data);
  }
  return rows;
}

/** Writes a day row: insert, patch, or delete when the day became empty. */
async function upsertDay<T extends "customerDays" | "terminalDays">(
  ctx: MutationCtx,
  table: T,
  existing: Doc<T> | null,
  empty: boolean,
  value: Omit<Doc<T>, "_id" | "_creationTime">,
): Promise<void> {
  if (empty) {
    if (existing) await ctx.db.delete(table, existing._id);
  } else if (existing) {
    await ctx.db.patch(table, existing._id, value as Partial<Doc<T>>);
  } else {
    await ctx.db.insert(table, value as never);
  }
}

const customerDay = (ctx: QueryCtx, userId: Id<"users">, day: number) =>
  ctx.db
    .query("customerDays")
    .withIndex("by_userId_and_day", (q) => q.eq("userId", userId).eq("day", day))
    .unique();

const terminalDay = (ctx: QueryCtx, terminalId: string, day: number) =>
  ctx.db
    .query("terminalDays")
    .withIndex("by_terminalId_and_day", (q) => q.eq("terminalId", terminalId).eq("day", day))
    .unique();

export const customerSide: HistorySide<CustomerWindowStats, CustomerHistoryRow, Id<"users">> = {
  name: "customer",
  kind: customerStatsKind,
  key: (p) => p.userId,
  row: (p) => ({ timestamp: p.timestamp, amount: p.amount }),
  day: customerDay,
  days: (ctx, userId, first, last) =>
    ctx.db
      .query("customerDays")
      .withIndex("by_userId_and_day", (q) =>
        q.eq("userId", userId).gte("day", first).lte("day", last),
      )
      .take(MAX_DAYS_PER_SPAN),
  writeDay: async (ctx, userId, day, stats) =>
    await upsertDay(ctx, "customerDays", await customerDay(ctx, userId, day), stats.count === 0, {
      userId,
      day,
      stats,
    }),
  paymentsIn: async (ctx, userId, r) => [
    ...(await bounded(
      ctx.db
        .query("tempTransactions")
        .withIndex("by_userId_and_timestamp_and_paymentId", (q) =>
          q.eq("userId", userId).gt("timestamp", r.after).lte("timestamp", r.atMost),
        ),
      "customer",
    )),
    ...(await bounded(
      ctx.db
        .query("transactions")
        .withIndex("by_userId_and_timestamp_and_paymentId", (q) =>
          q.eq("userId", userId).gt("timestamp", r.after).lte("timestamp", r.atMost),
        ),
      "customer",
    )),
  ],
};

export const terminalSide: HistorySide<TerminalWindowStats, TerminalHistoryRow> = {
  name: "terminal",
  kind: terminalStatsKind,
  key: (p) => p.terminalId,
  row: (p) => ({ timestamp: p.timestamp, amount: p.amount, fraud: p.label === "fraud" }),
  day: terminalDay,
  days: (ctx, terminalId, first, last) =>
    ctx.db
      .query("terminalDays")
      .withIndex("by_terminalId_and_day", (q) =>
        q.eq("terminalId", terminalId).gte("day", first).lte("day", last),
      )
      .take(MAX_DAYS_PER_SPAN),
  writeDay: async (ctx, terminalId, day, stats) =>
    await upsertDay(
      ctx,
      "terminalDays",
      await terminalDay(ctx, terminalId, day),
      stats.count === 0,
      {
        terminalId,
        day,
        stats,
      },
    ),
  paymentsIn: async (ctx, terminalId, r) => [
    ...(await bounded(
      ctx.db
        .query("tempTransactions")
        .withIndex("by_terminalId_and_timestamp", (q) =>
          q.eq("terminalId", terminalId).gt("timestamp", r.after).lte("timestamp", r.atMost),
        ),
      "terminal",
    )),
    ...(await bounded(
      ctx.db
        .query("transactions")
        .withIndex("by_terminalId_and_timestamp", (q) =>
          q.eq("terminalId", terminalId).gt("timestamp", r.after).lte("timestamp", r.atMost),
        ),
      "terminal",
    )),
  ],
};
