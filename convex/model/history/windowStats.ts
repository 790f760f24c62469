import { ConvexError } from "convex/values";
import type { QueryCtx } from "../../_generated/server";
import { BUCKET_LEVELS, coalesceRuns, planBuckets, type BucketPlan } from "../../ml/buckets";
import type { CustomerWindowStats, TerminalWindowStats } from "../../ml/statistics";
import { customerWindows, inRange, terminalWindows, type TimeRange } from "../../ml/windows";
import { customerSide, rowsIn, terminalSide, type HistoryRow, type HistorySide } from "./sides";
import type { HistorySideName } from "./validators";

/**
 * The history the features need, read in work bounded whatever the volume: each window is whole
 * buckets (`ml/buckets.ts`) plus the rows of the partial minute at each of its edges; rows the
 * folder has not added to the buckets yet are added here, so the statistics are exact.
 *
 * Worst case per scoring (documents read):
 * - buckets: per side, the whole days of its longest window (≤ 31) and at most 22 buckets per
 *   distinct window edge (customer: 4 edges, terminal: 5), so ≤ 119 + 141 = 260;
 * - rows: those of the partial minutes at the 9 edges (fails with `history_too_dense` beyond
 *   1,000 in one minute), the same-instant ties of the customer, and the unfolded rows (fails
 *   with `history_lagging`, retried, beyond {@link MAX_UNFOLDED_ROWS} per side);
 * - the payment itself (2 index lookups).
 * A busy terminal (10,000 payments a day) reads about 7 rows per partial minute; the reads are
 * asserted under Convex's transaction limits in `system/density.test.ts`.
 */

/** Unfolded rows one side may add per scoring: the folder's lag, bounded. */
export const MAX_UNFOLDED_ROWS = 2_000;

/** What `history_lagging` carries: the folder is far behind; the scoring is retried. */
export type HistoryLagging = { code: "history_lagging"; message: string };

/** A payment being scored, as the history needs it. */
export type ScoringSubject = {
  paymentId: string;
  userId: string;
  terminalId: string;
  timestamp: number;
  receivedAt: number;
};

/** The unfolded rows of one side and key in `range`, bounded by {@link MAX_UNFOLDED_ROWS}. */
async function unfoldedIn(ctx: QueryCtx, side: HistorySideName, key: string, range: TimeRange) {
  const rows = await ctx.db
    .query("historyRows")
    .withIndex("by_side_and_key_and_folded_and_timestamp", (q) =>
      q
        .eq("side", side)
        .eq("key", key)
        .eq("folded", false)
        .gt("timestamp", range.after)
        .lte("timestamp", range.atMost),
    )
    .take(MAX_UNFOLDED_ROWS + 1);
  if (rows.length > MAX_UNFOLDED_ROWS) {
    const data: HistoryLagging = {
      code: "history_lagging",
      message: `more than ${MAX_UNFOLDED_ROWS} ${side} payments not folded yet`,
    };
    throw new ConvexError(data);
  }
  return rows;
}

/** The smallest range covering `ranges` (null when there are none). */
function span(ranges: readonly (TimeRange | null)[]): TimeRange | null {
  let out: TimeRange | null = null;
  for (const r of ranges) {
    if (r === null) continue;
    out =
      out === null
        ? { ...r }
        : { after: Math.min(out.after, r.after), atMost: Math.max(out.atMost, r.atMost) };
  }
  return out;
}

/** The raw ranges of several plans, each read once. */
function distinctRaw(plans: readonly BucketPlan[]): TimeRange[] {
  const seen = new Map<string, TimeRange>();
  for (const plan of plans) for (const r of plan.raw) seen.set(`${r.after}:${r.atMost}`, r);
  return [...seen.values()];
}

/** One side's statistics over `windows`, each `statsFromRows` of every row before it, exactly. */
async function sideStats<S, Row extends { timestamp: number }, K extends string>(
  ctx: QueryCtx,
  side: HistorySide<S, Row, K>,
  key: K,
  windows: readonly TimeRange[],
): Promise<S[]> {
  const plans = windows.map(planBuckets);
  const buckets = new Map<string, S>();
  for (const run of coalesceRuns(plans.flatMap((p) => p.runs))) {
    for (const b of await side.buckets(ctx, key, run))
      buckets.set(`${b.level}:${b.start}`, b.stats);
  }
  const bucketed = span(plans.map((p) => p.bucketed));
  const unfolded = bucketed ? await unfoldedIn(ctx, side.name, key, bucketed) : [];
  const raw: HistoryRow[] = [];
  for (const r of distinctRaw(plans)) raw.push(...(await rowsIn(ctx, side.name, key, r)));
  return plans.map((plan) => {
    let s = side.kind.empty();
    for (const run of plan.runs) {
      for (let start = run.from; start < run.to; start += BUCKET_LEVELS[run.level]) {
        const part = buckets.get(`${run.level}:${start}`);
        if (part !== undefined) s = side.kind.merge(s, part);
      }
    }
    const { bucketed: inBuckets, raw: edges } = plan;
    for (const row of unfolded) {
      if (inBuckets && inRange(row.timestamp, inBuckets)) side.kind.add(s, side.row(row));
    }
    for (const row of raw) {
      if (edges.some((e) => inRange(row.timestamp, e))) side.kind.add(s, side.row(row));
    }
    return s;
  });
}

/** Arrival order, which breaks timestamp ties as the sequence does in training. */
function arrivedBefore(a: Pick<HistoryRow, "receivedAt" | "paymentId">, b: ScoringSubject) {
  return (
    a.receivedAt < b.receivedAt || (a.receivedAt === b.receivedAt && a.paymentId < b.paymentId)
  );
}

/**
 * The customer's statistics over each customer window of `payment`, current payment
 * excluded, as the batch feature code computes them: every timestamp strictly before the
 * payment's, and payments with the very same timestamp when they arrived earlier.
 */
export async function customerWindowStats(
  ctx: QueryCtx,
  payment: ScoringSubject,
): Promise<CustomerWindowStats[]> {
  const t = payment.timestamp;
  const userId = payment.userId as Parameters<typeof customerSide.buckets>[1];
  // `(t - n days, t - 1]`: timestamps are integer ms, so this is everything before t.
  const windows = customerWindows(t).map((w) => ({ after: w.after, atMost: t - 1 }));
  const before = await sideStats(ctx, customerSide, userId, windows);
  const ties = customerSide.kind.empty();
  for (const row of await rowsIn(ctx, "customer", userId, { after: t - 1, atMost: t })) {
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
