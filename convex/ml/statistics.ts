import { v, type Infer } from "convex/values";
import { dayIndex } from "./time";
import { inRange, planWindow, type TimeRange } from "./windows";

/**
 * Decomposable window statistics: the features are a pure function of the payment and, per
 * window, of these statistics over the customer's and the terminal's history. Every field
 * merges over disjoint parts, so online code can add per-day aggregates for the whole UTC days
 * inside a window (`planWindow`) to an exact scan of the raw rows at the window's edges
 * (`statsFromParts`) and get exactly the statistics of a full scan. Amounts are accumulated as
 * integer cents (`toCents`), so sums are exact (while sums of squared cents stay below 2^53,
 * i.e. about 9e15) and independent of summation order.
 *
 * The validators are what the day aggregates store and the scoring query returns.
 */

/** Statistics of a customer's payments in one window (current payment excluded). */
export const customerStats = v.object({
  count: v.number(),
  /** Sum of amounts, integer cents. */
  amountCents: v.number(),
  /** Sum of squared amounts, cents squared. */
  amountCentsSq: v.number(),
  /** Largest amount in cents; 0 when empty (amounts are non-negative). */
  maxAmountCents: v.number(),
});
export type CustomerWindowStats = Infer<typeof customerStats>;

/** Statistics of a terminal's payments in one (delayed) window. */
export const terminalStats = v.object({
  count: v.number(),
  frauds: v.number(),
  /** Sum of the fraud payments' amounts, integer cents. */
  fraudAmountCents: v.number(),
});
export type TerminalWindowStats = Infer<typeof terminalStats>;

/** A past payment of the same customer. */
export interface CustomerHistoryRow {
  timestamp: number;
  amount: number;
}

/** A past payment at the same terminal, with its (possibly delayed) fraud label. */
export interface TerminalHistoryRow {
  timestamp: number;
  amount: number;
  fraud: boolean | number;
}

/** Amount in integer cents (`Math.round(amount * 100)`), the unit of all sums. */
export function toCents(amount: number): number {
  return Math.round(amount * 100);
}

/** How one kind of statistics is built from rows and merged: customer or terminal. */
export interface StatsKind<S, Row extends { timestamp: number }> {
  empty(): S;
  /** Adds one row to `s`, in place, and returns it. */
  add(s: S, row: Row): S;
  /** The statistics of two disjoint sets of rows together. */
  merge(a: S, b: S): S;
}

export const customerStatsKind: StatsKind<CustomerWindowStats, CustomerHistoryRow> = {
  empty: () => ({ count: 0, amountCents: 0, amountCentsSq: 0, maxAmountCents: 0 }),
  add(s, row) {
    const c = toCents(row.amount);
    s.count += 1;
    s.amountCents += c;
    s.amountCentsSq += c * c;
    if (c > s.maxAmountCents) s.maxAmountCents = c;
    return s;
  },
  merge: (a, b) => ({
    count: a.count + b.count,
    amountCents: a.amountCents + b.amountCents,
    amountCentsSq: a.amountCentsSq + b.amountCentsSq,
    maxAmountCents: Math.max(a.maxAmountCents, b.maxAmountCents),
  }),
};

export const terminalStatsKind: StatsKind<TerminalWindowStats, TerminalHistoryRow> = {
  empty: () => ({ count: 0, frauds: 0, fraudAmountCents: 0 }),
  add(s, row) {
    s.count += 1;
    if (row.fraud) {
      s.frauds += 1;
      s.fraudAmountCents += toCents(row.amount);
    }
    return s;
  },
  merge: (a, b) => ({
    count: a.count + b.count,
    frauds: a.frauds + b.frauds,
    fraudAmountCents: a.fraudAmountCents + b.fraudAmountCents,
  }),
};

/** Exact scan: statistics of the rows whose timestamp lies in `range`. */
export function statsFromRows<S, Row extends { timestamp: number }>(
  kind: StatsKind<S, Row>,
  rows: readonly Row[],
  range: TimeRange,
): S {
  const s = kind.empty();
  for (const row of rows) if (inRange(row.timestamp, range)) kind.add(s, row);
  return s;
}

/** Per-day aggregates of rows (what online storage keeps per customer or terminal and UTC day). */
export function dayAggregates<S, Row extends { timestamp: number }>(
  kind: StatsKind<S, Row>,
  rows: readonly Row[],
): Map<number, S> {
  const out = new Map<number, S>();
  for (const row of rows) {
    const d = dayIndex(row.timestamp);
    let s = out.get(d);
    if (s === undefined) out.set(d, (s = kind.empty()));
    kind.add(s, row);
  }
  return out;
}

/**
 * Window statistics from storage parts: the per-day aggregates of the window's whole days plus
 * the raw rows of its edges (`planWindow`). `edgeRows` may contain any rows: only those inside the
 * plan's edge ranges are used. Equal to `statsFromRows` over all rows.
 */
export function statsFromParts<S, Row extends { timestamp: number }>(
  kind: StatsKind<S, Row>,
  range: TimeRange,
  dayStats: ReadonlyMap<number, S>,
  edgeRows: readonly Row[],
): S {
  const plan = planWindow(range);
  let s = kind.empty();
  if (plan.days) {
    for (let d = plan.days.first; d <= plan.days.last; d++) {
      const part = dayStats.get(d);
      if (part !== undefined) s = kind.merge(s, part);
    }
  }
  for (const edge of plan.edges) s = kind.merge(s, statsFromRows(kind, edgeRows, edge));
  return s;
}
