import fc from "fast-check";
import { expect, test } from "vitest";
import { BUCKET_LEVELS, bucketStart, coalesceRuns, FINEST_LEVEL, planBuckets } from "./buckets";
import { customerStatsKind, statsFromRows, type CustomerHistoryRow } from "./statistics";
import { DAY_MS } from "./time";
import { inRange, type TimeRange } from "./windows";

const T0 = Date.UTC(2018, 6, 1);
const MINUTE = 60_000;

/** Ranges of up to 40 days with edges anywhere, and rows around them. */
const rangeArb = fc
  .tuple(fc.integer({ min: 0, max: 40 * DAY_MS }), fc.integer({ min: 0, max: 40 * DAY_MS }))
  .map(([a, len]): TimeRange => ({ after: T0 + a, atMost: T0 + a + len }));

const rowsArb = fc.array(
  fc.record({
    timestamp: fc.integer({ min: T0 - DAY_MS, max: T0 + 82 * DAY_MS }),
    amount: fc.integer({ min: 1, max: 100_000 }).map((c) => c / 100),
  }),
  { maxLength: 300 },
);

/** Buckets of every level, as the folder keeps them, computed naively from the rows. */
function naiveBuckets(rows: readonly CustomerHistoryRow[]) {
  const out = new Map<string, ReturnType<typeof customerStatsKind.empty>>();
  for (const row of rows) {
    for (let level = 0; level <= FINEST_LEVEL; level++) {
      const key = `${level}:${bucketStart(row.timestamp, level)}`;
      const s = out.get(key) ?? customerStatsKind.empty();
      out.set(key, customerStatsKind.add(s, row));
    }
  }
  return out;
}

test("property: whole buckets plus the raw edges give exactly the statistics of a full scan", () => {
  fc.assert(
    fc.property(rangeArb, rowsArb, (range, rows) => {
      const plan = planBuckets(range);
      const buckets = naiveBuckets(rows);
      let s = customerStatsKind.empty();
      for (const run of plan.runs) {
        for (let start = run.from; start < run.to; start += BUCKET_LEVELS[run.level]) {
          const part = buckets.get(`${run.level}:${start}`);
          if (part) s = customerStatsKind.merge(s, part);
        }
      }
      for (const edge of plan.raw)
        s = customerStatsKind.merge(s, statsFromRows(customerStatsKind, rows, edge));
      expect(s).toEqual(statsFromRows(customerStatsKind, rows, range));
    }),
    { numRuns: 300 },
  );
});

test("property: the parts tile the window, raw rows lie in partial minutes, each edge costs ≤ 22 buckets", () => {
  fc.assert(
    fc.property(rangeArb, (range) => {
      const plan = planBuckets(range);
      // Tiling: consecutive parts, in time order, from after + 1 to atMost + 1.
      const parts: Array<[number, number]> = [
        ...plan.raw.map((r): [number, number] => [r.after + 1, r.atMost + 1]),
        ...plan.runs.map((r): [number, number] => [r.from, r.to]),
      ].sort((a, b) => a[0] - b[0]);
      let x = range.after + 1;
      for (const [from, to] of parts) {
        expect(from).toBe(x);
        x = to;
      }
      expect(x).toBe(Math.max(range.after + 1, range.atMost + 1));
      // Every bucket is aligned to its level.
      for (const run of plan.runs) {
        expect(run.from % BUCKET_LEVELS[run.level]).toBe(0);
        expect(run.to % BUCKET_LEVELS[run.level]).toBe(0);
      }
      if (plan.runs.length > 0) {
        // Raw edges never hold a whole minute.
        for (const r of plan.raw) expect(r.atMost - r.after).toBeLessThan(MINUTE);
        expect(plan.bucketed).not.toBeNull();
        for (const r of plan.raw) expect(inRange(r.atMost, plan.bucketed!)).toBe(false);
      }
      const belowDays = plan.runs
        .filter((r) => r.level > 0)
        .reduce((n, r) => n + (r.to - r.from) / BUCKET_LEVELS[r.level], 0);
      expect(belowDays).toBeLessThanOrEqual(2 * 22);
    }),
    { numRuns: 2_000 },
  );
});

test("coalesceRuns merges overlapping and touching runs of a level, never across levels", () => {
  expect(
    coalesceRuns([
      { level: 2, from: 0, to: 3 },
      { level: 2, from: 3, to: 5 },
      { level: 2, from: 7, to: 9 },
      { level: 1, from: 0, to: 12 },
      { level: 2, from: 1, to: 2 },
    ]),
  ).toEqual([
    { level: 1, from: 0, to: 12 },
    { level: 2, from: 0, to: 5 },
    { level: 2, from: 7, to: 9 },
  ]);
});
