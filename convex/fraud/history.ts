import type { Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import {
  addCustomerPayment,
  addTerminalPayment,
  customerStatsFromParts,
  customerStatsFromRows,
  customerWindows,
  dayIndex,
  dayRange,
  emptyCustomerStats,
  emptyTerminalStats,
  mergeCustomerStats,
  planWindow,
  mergeTerminalStats,
  terminalStatsFromParts,
  terminalWindows,
  toCents,
  type CustomerHistoryRow,
  type CustomerWindowStats,
  type TerminalHistoryRow,
  type TerminalWindowStats,
  type TimeRange,
} from "./features";

/**
 * The history the features need, read from the database in bounded work: whole UTC days
 * from the `customerDays` / `terminalDays` aggregates, and only the edges of each window
 * from the payments themselves (in both payment tables, since a payment in the window may
 * still be pending). The aggregates are maintained here too, with the feature module's own
 * statistics functions, by the same mutations that insert, delete and relabel payments,
 * so they are always exact.
 */

/** The part of a payment the history keeps track of. */
export type HistoryPayment = {
  userId: Id<"users">;
  terminalId: string;
  timestamp: number;
  amount: number;
  label?: "fraud" | "legitimate";
};

const asTerminalRow = (p: HistoryPayment): TerminalHistoryRow => ({
  timestamp: p.timestamp,
  amount: p.amount,
  fraud: p.label === "fraud",
});

/**
 * Raw rows one window edge may hold at most: a day of one customer's or one terminal's
 * payments (a terminal with 100,000 payments a month has about 3,300 a day). Beyond it,
 * scoring fails loudly (`history_too_dense`) instead of reading past Convex's limits.
 */
export const MAX_ROWS_PER_RANGE = 8_000;
/** Day aggregates a window span may cover (38 for the delayed 30-day terminal window). */
const MAX_DAYS_PER_SPAN = 64;

/** Thrown when a window edge holds more rows than {@link MAX_ROWS_PER_RANGE}. */
export class HistoryTooDenseError extends Error {
  readonly code = "history_too_dense";
}

async function bounded<T>(query: { take(n: number): Promise<T[]> }, what: string): Promise<T[]> {
  const rows = await query.take(MAX_ROWS_PER_RANGE + 1);
  if (rows.length > MAX_ROWS_PER_RANGE) {
    throw new HistoryTooDenseError(`more than ${MAX_ROWS_PER_RANGE} ${what} in one window edge`);
  }
  return rows;
}

/** The customer's payments (both tables) with a timestamp in `r`. */
async function customerPaymentsIn(ctx: QueryCtx, userId: Id<"users">, r: TimeRange) {
  const staged = await bounded(
    ctx.db
      .query("tempTransactions")
      .withIndex("by_userId_and_timestamp_and_paymentId", (q) =>
        q.eq("userId", userId).gt("timestamp", r.after).lte("timestamp", r.atMost),
      ),
    "customer payments",
  );
  const scored = await bounded(
    ctx.db
      .query("transactions")
      .withIndex("by_userId_and_timestamp_and_paymentId", (q) =>
        q.eq("userId", userId).gt("timestamp", r.after).lte("timestamp", r.atMost),
      ),
    "customer payments",
  );
  return [...staged, ...scored];
}

/** The terminal's payments (both tables) with a timestamp in `r`. */
async function terminalPaymentsIn(ctx: QueryCtx, terminalId: string, r: TimeRange) {
  const staged = await bounded(
    ctx.db
      .query("tempTransactions")
      .withIndex("by_terminalId_and_timestamp", (q) =>
        q.eq("terminalId", terminalId).gt("timestamp", r.after).lte("timestamp", r.atMost),
      ),
    "terminal payments",
  );
  const scored = await bounded(
    ctx.db
      .query("transactions")
      .withIndex("by_terminalId_and_timestamp", (q) =>
        q.eq("terminalId", terminalId).gt("timestamp", r.after).lte("timestamp", r.atMost),
      ),
    "terminal payments",
  );
  return [...staged, ...scored];
}

// ---------------------------------------------------------------------------------------------
// Maintaining the aggregates

async function customerDay(ctx: QueryCtx, userId: Id<"users">, day: number) {
  return await ctx.db
    .query("customerDays")
    .withIndex("by_userId_and_day", (q) => q.eq("userId", userId).eq("day", day))
    .unique();
}

async function terminalDay(ctx: QueryCtx, terminalId: string, day: number) {
  return await ctx.db
    .query("terminalDays")
    .withIndex("by_terminalId_and_day", (q) => q.eq("terminalId", terminalId).eq("day", day))
    .unique();
}

async function writeCustomerDay(
  ctx: MutationCtx,
  userId: Id<"users">,
  day: number,
  stats: CustomerWindowStats,
) {
  const existing = await customerDay(ctx, userId, day);
  if (stats.count === 0) {
    if (existing) await ctx.db.delete("customerDays", existing._id);
  } else if (existing) {
    await ctx.db.patch("customerDays", existing._id, { stats });
  } else {
    await ctx.db.insert("customerDays", { userId, day, stats });
  }
}

async function writeTerminalDay(
  ctx: MutationCtx,
  terminalId: string,
  day: number,
  stats: TerminalWindowStats,
) {
  const existing = await terminalDay(ctx, terminalId, day);
  if (stats.count === 0) {
    if (existing) await ctx.db.delete("terminalDays", existing._id);
  } else if (existing) {
    await ctx.db.patch("terminalDays", existing._id, { stats });
  } else {
    await ctx.db.insert("terminalDays", { terminalId, day, stats });
  }
}

/** Counts a new payment in its customer's and terminal's day aggregates. */
export async function recordInHistory(ctx: MutationCtx, payment: HistoryPayment): Promise<void> {
  const day = dayIndex(payment.timestamp);
  const customer = await customerDay(ctx, payment.userId, day);
  const customerStats = addCustomerPayment(
    customer ? { ...customer.stats } : emptyCustomerStats(),
    payment.amount,
  );
  await writeCustomerDay(ctx, payment.userId, day, customerStats);
  const terminal = await terminalDay(ctx, payment.terminalId, day);
  const terminalStats = addTerminalPayment(
    terminal ? { ...terminal.stats } : emptyTerminalStats(),
    asTerminalRow(payment),
  );
  await writeTerminalDay(ctx, payment.terminalId, day, terminalStats);
}

/** Terminal statistics minus one payment: every field is a sum, so subtraction is exact. */
function withoutTerminalPayment(
  stats: TerminalWindowStats,
  payment: HistoryPayment,
): TerminalWindowStats {
  const one = addTerminalPayment(emptyTerminalStats(), asTerminalRow(payment));
  const negated = Object.fromEntries(
    Object.entries(one).map(([field, value]) => [field, -value]),
  ) as unknown as TerminalWindowStats;
  return mergeTerminalStats(stats, negated);
}

/**
 * Updates the aggregates after a payment was deleted (call it after the delete). Sums are
 * subtracted; a customer's daily maximum, which cannot be, is recomputed from the day's
 * remaining payments when the deleted one held it. `customer: false` leaves the customer's
 * aggregates alone (a cascade delete removes them wholesale).
 */
export async function removeFromHistory(
  ctx: MutationCtx,
  payment: HistoryPayment,
  { customer = true }: { customer?: boolean } = {},
): Promise<void> {
  const day = dayIndex(payment.timestamp);
  if (customer) {
    const doc = await customerDay(ctx, payment.userId, day);
    if (doc) {
      const cents = toCents(payment.amount);
      const stats: CustomerWindowStats = {
        count: doc.stats.count - 1,
        amountCents: doc.stats.amountCents - cents,
        amountCentsSq: doc.stats.amountCentsSq - cents * cents,
        maxAmountCents: doc.stats.maxAmountCents,
      };
      if (stats.count > 0 && cents >= doc.stats.maxAmountCents) {
        const range = dayRange(day);
        const rows = await customerPaymentsIn(ctx, payment.userId, range);
        stats.maxAmountCents = customerStatsFromRows(rows, range).maxAmountCents;
      }
      await writeCustomerDay(ctx, payment.userId, day, stats);
    }
  }
  const terminal = await terminalDay(ctx, payment.terminalId, day);
  if (terminal) {
    await writeTerminalDay(
      ctx,
      payment.terminalId,
      day,
      withoutTerminalPayment(terminal.stats, payment),
    );
  }
}

/** Updates the terminal's aggregate when a payment's label changes from `before` to `after`. */
export async function relabelInHistory(
  ctx: MutationCtx,
  before: HistoryPayment,
  after: HistoryPayment,
): Promise<void> {
  const day = dayIndex(before.timestamp);
  const terminal = await terminalDay(ctx, before.terminalId, day);
  if (!terminal) return;
  const stats = addTerminalPayment(
    withoutTerminalPayment(terminal.stats, before),
    asTerminalRow(after),
  );
  await writeTerminalDay(ctx, before.terminalId, day, stats);
}

/** Deletes up to `batchSize` of a user's day aggregates; returns how many it deleted. */
export async function deleteCustomerHistory(
  ctx: MutationCtx,
  userId: Id<"users">,
  batchSize: number,
): Promise<number> {
  const days = await ctx.db
    .query("customerDays")
    .withIndex("by_userId_and_day", (q) => q.eq("userId", userId))
    .take(batchSize);
  for (const d of days) await ctx.db.delete("customerDays", d._id);
  return days.length;
}

// ---------------------------------------------------------------------------------------------
// Reading window statistics

/** Merges overlapping or touching ranges, so each stretch of raw rows is read once. */
function coalesce(ranges: TimeRange[]): TimeRange[] {
  const sorted = [...ranges].sort((a, b) => a.after - b.after);
  const out: TimeRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.after <= last.atMost) last.atMost = Math.max(last.atMost, r.atMost);
    else out.push({ ...r });
  }
  return out;
}

/** What a set of windows reads: one span of day aggregates, and the raw edge ranges. */
function readPlan(windows: TimeRange[]) {
  let first = Infinity;
  let last = -Infinity;
  const edges: TimeRange[] = [];
  for (const w of windows) {
    const plan = planWindow(w);
    if (plan.days) {
      first = Math.min(first, plan.days.first);
      last = Math.max(last, plan.days.last);
    }
    edges.push(...plan.edges);
  }
  return { days: first <= last ? { first, last } : null, edges: coalesce(edges) };
}

/** A payment being scored, as the history needs it. */
export type ScoringSubject = {
  paymentId: string;
  userId: Id<"users">;
  terminalId: string;
  timestamp: number;
  receivedAt: number;
};

/** Arrival order, which breaks timestamp ties as the sequence does in training. */
function arrivedBefore(
  a: { receivedAt: number; paymentId: string },
  b: { receivedAt: number; paymentId: string },
) {
  return (
    a.receivedAt < b.receivedAt || (a.receivedAt === b.receivedAt && a.paymentId < b.paymentId)
  );
}

/**
 * The customer's statistics over each customer window of `payment`, current payment
 * excluded, as the batch feature code computes them: every timestamp strictly before the
 * payment's comes from day aggregates plus raw edges, and payments with the very same
 * timestamp count when they arrived earlier.
 */
export async function customerWindowStats(
  ctx: QueryCtx,
  payment: ScoringSubject,
): Promise<CustomerWindowStats[]> {
  const t = payment.timestamp;
  // `(t - n days, t - 1]`: timestamps are integer ms, so this is everything before t.
  const windows = customerWindows(t).map((w) => ({ after: w.after, atMost: t - 1 }));
  const plan = readPlan(windows);
  const dayStats = new Map<number, CustomerWindowStats>();
  if (plan.days) {
    const { first, last } = plan.days;
    const days = await ctx.db
      .query("customerDays")
      .withIndex("by_userId_and_day", (q) =>
        q.eq("userId", payment.userId).gte("day", first).lte("day", last),
      )
      .take(MAX_DAYS_PER_SPAN);
    for (const d of days) dayStats.set(d.day, d.stats);
  }
  const edgeRows: CustomerHistoryRow[] = [];
  for (const r of plan.edges) edgeRows.push(...(await customerPaymentsIn(ctx, payment.userId, r)));

  const ties = emptyCustomerStats();
  const sameInstant = await customerPaymentsIn(ctx, payment.userId, { after: t - 1, atMost: t });
  for (const row of sameInstant) {
    if (row.paymentId !== payment.paymentId && arrivedBefore(row, payment)) {
      addCustomerPayment(ties, row.amount);
    }
  }
  return windows.map((w) =>
    mergeCustomerStats(customerStatsFromParts(w, dayStats, edgeRows), ties),
  );
}

/** The terminal's statistics over each delayed terminal window, with the labels known now. */
export async function terminalWindowStats(
  ctx: QueryCtx,
  payment: ScoringSubject,
): Promise<TerminalWindowStats[]> {
  const windows = terminalWindows(payment.timestamp);
  const plan = readPlan(windows);
  const dayStats = new Map<number, TerminalWindowStats>();
  if (plan.days) {
    const { first, last } = plan.days;
    const days = await ctx.db
      .query("terminalDays")
      .withIndex("by_terminalId_and_day", (q) =>
        q.eq("terminalId", payment.terminalId).gte("day", first).lte("day", last),
      )
      .take(MAX_DAYS_PER_SPAN);
    for (const d of days) dayStats.set(d.day, d.stats);
  }
  const edgeRows: TerminalHistoryRow[] = [];
  for (const r of plan.edges) {
    const rows = await terminalPaymentsIn(ctx, payment.terminalId, r);
    edgeRows.push(...rows.map(asTerminalRow));
  }
  return windows.map((w) => terminalStatsFromParts(w, dayStats, edgeRows));
}
