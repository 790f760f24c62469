import type { QueryCtx } from "../../_generated/server";
import {
  statsFromParts,
  type CustomerWindowStats,
  type TerminalWindowStats,
} from "../../ml/statistics";
import { customerWindows, planWindows, terminalWindows, type TimeRange } from "../../ml/windows";
import { customerSide, terminalSide, type HistorySide, type RawPayment } from "./sides";

/**
 * The history the features need, read from the database in bounded work: whole UTC days from
 * the day aggregates, and only the edges of each window from the payments themselves (in both
 * payment tables, since a payment in the window may still be pending).
 *
 * Worst case per scoring: 2 x 64 day aggregates, and per side its edge ranges (up to 2 per
 * window, coalesced) of at most `MAX_ROWS_PER_RANGE` rows in each payment table.
 */

/** A payment being scored, as the history needs it. */
export type ScoringSubject = Pick<
  RawPayment,
  "paymentId" | "userId" | "terminalId" | "timestamp" | "receivedAt"
>;

/** One side's statistics over `windows`: day aggregates plus raw edges, as `statsFromParts`. */
async function sideStats<S, Row extends { timestamp: number }, K extends string>(
  ctx: QueryCtx,
  side: HistorySide<S, Row, K>,
  key: K,
  windows: readonly TimeRange[],
): Promise<S[]> {
  const plan = planWindows(windows);
  const dayStats = new Map<number, S>();
  if (plan.days) {
    for (const d of await side.days(ctx, key, plan.days.first, plan.days.last)) {
      dayStats.set(d.day, d.stats);
    }
  }
  const edgeRows: Row[] = [];
  for (const r of plan.edges) {
    for (const p of await side.paymentsIn(ctx, key, r)) edgeRows.push(side.row(p));
  }
  return windows.map((w) => statsFromParts(side.kind, w, dayStats, edgeRows));
}

/** Arrival order, which breaks timestamp ties as the sequence does in training. */
function arrivedBefore(a: ScoringSubject, b: ScoringSubject) {
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
  const before = await sideStats(ctx, customerSide, payment.userId, windows);
  const ties = customerSide.kind.empty();
  for (const row of await customerSide.paymentsIn(ctx, payment.userId, {
    after: t - 1,
    atMost: t,
  })) {
    if (row.paymentId !== payment.paymentId && arrivedBefore(row, payment)) {
      customerSide.kind.add(ties, customerSide.row(row));
    }
  }
  return before.map((s) => customerSide.kind.merge(s, ties));
}

/** The terminal's statistics over each delayed terminal window, with the labels known now. */
export async function terminalWindowStats(
  ctx: QueryCtx,
  payment: ScoringSubject,
): Promise<TerminalWindowStats[]> {
  return await sideStats(ctx, terminalSide, payment.terminalId, terminalWindows(payment.timestamp));
}
