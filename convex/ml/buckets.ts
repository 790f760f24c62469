import type { StatsKind } from "./statistics";
import { DAY_MS, HOUR_MS } from "./time";
import type { TimeRange } from "./windows";

/**
 * Hierarchical time buckets, the storage shape of the window statistics: a window is read as
 * whole buckets (days, then 6 hours, hours, 10 minutes and minutes towards its edges) plus the
 * raw payments of the partial minute at each edge. Each level's bucket length divides the one
 * above, so a window's edge costs at most 3 + 5 + 5 + 9 = 22 buckets (plus whole days between the
 * edges), whatever the volume in it. Pure, and the same for customers and terminals.
 */

const MINUTE_MS = 60_000;

/** Bucket length per level, coarsest first: day, 6 h, 1 h, 10 min, 1 min. */
export const BUCKET_LEVELS = [DAY_MS, 6 * HOUR_MS, HOUR_MS, 10 * MINUTE_MS, MINUTE_MS] as const;
/** The finest level: raw rows are read only inside one of its buckets. */
export const FINEST_LEVEL = BUCKET_LEVELS.length - 1;

/** The start of the bucket of `level` that holds `ts`. */
export function bucketStart(ts: number, level: number): number {
  const size = BUCKET_LEVELS[level];
  return Math.floor(ts / size) * size;
}

/** Consecutive buckets of one level: starts `from`, `from + size`, … below `to`. */
export interface BucketRun {
  level: number;
  from: number;
  to: number;
}

/** How to read a window: whole buckets, and raw rows in the partial minutes at its edges. */
export interface BucketPlan {
  runs: BucketRun[];
  /** 0 to 2 ranges, each inside one minute, read as raw payments. */
  raw: TimeRange[];
  /** The part of the window the runs cover (they tile it), or null when there is none. */
  bucketed: TimeRange | null;
}

/**
 * Splits a window `(after, atMost]` (integer ms) into whole buckets and raw edges. The runs and
 * the raw ranges tile the window exactly.
 */
export function planBuckets(r: TimeRange): BucketPlan {
  const lo = r.after + 1; // [lo, hi): the window, half-open
  const hi = r.atMost + 1;
  if (hi <= lo) return { runs: [], raw: [], bucketed: null };
  const minuteEdge = Math.ceil(lo / MINUTE_MS) * MINUTE_MS;
  if (minuteEdge + MINUTE_MS > hi) {
    // No whole minute inside: all raw (it may span two partial minutes).
    return { runs: [], raw: [{ after: r.after, atMost: r.atMost }], bucketed: null };
  }
  const runs: BucketRun[] = [];
  const take = (level: number, start: number) => {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.level === level && last.to === start)
      last.to += BUCKET_LEVELS[level];
    else runs.push({ level, from: start, to: start + BUCKET_LEVELS[level] });
  };
  const raw: TimeRange[] = [];
  if (minuteEdge > lo) raw.push({ after: r.after, atMost: minuteEdge - 1 });
  let x = minuteEdge;
  // Up from the left edge: finer buckets until aligned to the next level.
  for (let level = FINEST_LEVEL; level >= 1; level--) {
    const size = BUCKET_LEVELS[level];
    while (x % BUCKET_LEVELS[level - 1] !== 0 && x + size <= hi) {
      take(level, x);
      x += size;
    }
  }
  // Whole days, then down towards the right edge.
  for (let level = 0; level <= FINEST_LEVEL; level++) {
    const size = BUCKET_LEVELS[level];
    while (x + size <= hi) {
      take(level, x);
      x += size;
    }
  }
  if (x < hi) raw.push({ after: x - 1, atMost: r.atMost });
  return { runs, raw, bucketed: { after: minuteEdge - 1, atMost: x - 1 } };
}

/**
 * The statistics of `rows` in every bucket of every level they fall in, by `"level:start"`: what
 * folding them adds to the stored buckets.
 */
export function bucketTotals<S, Row extends { timestamp: number }>(
  kind: StatsKind<S, Row>,
  rows: readonly Row[],
): Map<string, { level: number; start: number; stats: S }> {
  const out = new Map<string, { level: number; start: number; stats: S }>();
  for (const row of rows) {
    for (let level = 0; level < BUCKET_LEVELS.length; level++) {
      const start = bucketStart(row.timestamp, level);
      const id = `${level}:${start}`;
      let bucket = out.get(id);
      if (bucket === undefined) out.set(id, (bucket = { level, start, stats: kind.empty() }));
      kind.add(bucket.stats, row);
    }
  }
  return out;
}

/** The union of several runs of one level, as disjoint runs (each read with one range query). */
export function coalesceRuns(runs: readonly BucketRun[]): BucketRun[] {
  const out: BucketRun[] = [];
  const sorted = [...runs].sort((a, b) => a.level - b.level || a.from - b.from);
  for (const run of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.level === run.level && run.from <= last.to) {
      last.to = Math.max(last.to, run.to);
    } else out.push({ ...run });
  }
  return out;
}
