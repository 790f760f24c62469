import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { computeFeatureMatrix } from "./batch";
import {
  FEATURE_COUNT,
  FEATURE_NAMES,
  featureRecord,
  featuresFromHistory,
  HANDBOOK_FEATURES,
} from "./features";
import {
  customerStatsKind,
  dayAggregates,
  statsFromParts,
  statsFromRows,
  terminalStatsKind,
  type CustomerHistoryRow,
  type TerminalHistoryRow,
} from "./statistics";
import { DAY_MS, HOUR_MS } from "./time";
import { customerWindow, inRange, planWindow, terminalWindow } from "./windows";

// 2018-08-08 12:00:00 UTC, a Wednesday.
const T = Date.UTC(2018, 7, 8, 12, 0, 0);
const at = (ms: number, amount = 10): CustomerHistoryRow => ({ timestamp: ms, amount });
const term = (ms: number, fraud: boolean, amount = 10): TerminalHistoryRow => ({
  timestamp: ms,
  amount,
  fraud,
});
const f = (
  payment: { timestamp: number; amount: number },
  customer: CustomerHistoryRow[] = [],
  terminal: TerminalHistoryRow[] = [],
) => featureRecord(featuresFromHistory(payment, customer, terminal));

describe("feature names", () => {
  test("the handbook's 15 columns come first, in its order", () => {
    expect(HANDBOOK_FEATURES).toHaveLength(15);
    expect(FEATURE_NAMES.slice(0, 15)).toEqual([...HANDBOOK_FEATURES]);
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_COUNT);
  });
});

describe("customer windows (t - n days, t], current payment included", () => {
  test("empty history: the current payment alone", () => {
    const r = f({ timestamp: T, amount: 42.5 });
    for (const n of [1, 7, 30] as const) {
      expect(r[`CUSTOMER_ID_NB_TX_${n}DAY_WINDOW` as const]).toBe(1);
      expect(r[`CUSTOMER_ID_AVG_AMOUNT_${n}DAY_WINDOW` as const]).toBeCloseTo(42.5, 12);
    }
  });

  test.each([1, 7, 30] as const)("%i-day window edges: exactly n days out, 1 ms inside", (n) => {
    const key = `CUSTOMER_ID_NB_TX_${n}DAY_WINDOW` as const;
    expect(f({ timestamp: T, amount: 1 }, [at(T - n * DAY_MS)])[key]).toBe(1);
    expect(f({ timestamp: T, amount: 1 }, [at(T - n * DAY_MS + 1)])[key]).toBe(2);
    expect(f({ timestamp: T, amount: 1 }, [at(T - n * DAY_MS - 1)])[key]).toBe(1);
  });

  test("averages include the current payment", () => {
    const r = f({ timestamp: T, amount: 30 }, [
      at(T - 2 * HOUR_MS, 10), // in 1, 7, 30
      at(T - 3 * DAY_MS, 20), // in 7, 30
      at(T - 10 * DAY_MS, 60), // in 30
      at(T - 31 * DAY_MS, 1000), // in none
    ]);
    expect(r.CUSTOMER_ID_NB_TX_1DAY_WINDOW).toBe(2);
    expect(r.CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW).toBeCloseTo(20, 12);
    expect(r.CUSTOMER_ID_NB_TX_7DAY_WINDOW).toBe(3);
    expect(r.CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW).toBeCloseTo(20, 12);
    expect(r.CUSTOMER_ID_NB_TX_30DAY_WINDOW).toBe(4);
    expect(r.CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW).toBeCloseTo(30, 12);
  });

  test("a history row at the same millisecond (received earlier) counts", () => {
    expect(f({ timestamp: T, amount: 1 }, [at(T)]).CUSTOMER_ID_NB_TX_1DAY_WINDOW).toBe(2);
  });
});

describe("terminal windows (t - 7d - n, t - 7d], delayed labels", () => {
  const D7 = 7 * DAY_MS;
  test("empty windows: count 0 and risk 0", () => {
    const r = f({ timestamp: T, amount: 1 }, [], [term(T - HOUR_MS, true)]);
    for (const n of [1, 7, 30] as const) {
      expect(r[`TERMINAL_ID_NB_TX_${n}DAY_WINDOW` as const]).toBe(0);
      expect(r[`TERMINAL_ID_RISK_${n}DAY_WINDOW` as const]).toBe(0);
    }
  });

  test("the 7-day delay: t - 7d is in, t - 7d + 1 ms (not yet labelled) is out", () => {
    const inside = f({ timestamp: T, amount: 1 }, [], [term(T - D7, true)]);
    const outside = f({ timestamp: T, amount: 1 }, [], [term(T - D7 + 1, true)]);
    for (const n of [1, 7, 30] as const) {
      expect(inside[`TERMINAL_ID_NB_TX_${n}DAY_WINDOW` as const]).toBe(1);
      expect(inside[`TERMINAL_ID_RISK_${n}DAY_WINDOW` as const]).toBe(1);
      expect(outside[`TERMINAL_ID_NB_TX_${n}DAY_WINDOW` as const]).toBe(0);
    }
  });

  test.each([1, 7, 30] as const)(
    "%i-day window start: exactly n days before the delay is out",
    (n) => {
      const key = `TERMINAL_ID_NB_TX_${n}DAY_WINDOW` as const;
      expect(f({ timestamp: T, amount: 1 }, [], [term(T - D7 - n * DAY_MS, false)])[key]).toBe(0);
      expect(f({ timestamp: T, amount: 1 }, [], [term(T - D7 - n * DAY_MS + 1, false)])[key]).toBe(
        1,
      );
    },
  );

  test("risk = frauds / payments per window; fraud counts", () => {
    const r = f(
      { timestamp: T, amount: 1 },
      [],
      [
        term(T - D7 - HOUR_MS, true, 300), // 1, 7, 30
        term(T - D7 - 2 * HOUR_MS, false), // 1, 7, 30
        term(T - D7 - 3 * DAY_MS, false), // 7, 30
        term(T - D7 - 20 * DAY_MS, true), // 30
      ],
    );
    expect(r.TERMINAL_ID_NB_TX_1DAY_WINDOW).toBe(2);
    expect(r.TERMINAL_ID_RISK_1DAY_WINDOW).toBeCloseTo(0.5, 12);
    expect(r.TERMINAL_ID_NB_TX_7DAY_WINDOW).toBe(3);
    expect(r.TERMINAL_ID_RISK_7DAY_WINDOW).toBeCloseTo(1 / 3, 12);
    expect(r.TERMINAL_ID_NB_TX_30DAY_WINDOW).toBe(4);
    expect(r.TERMINAL_ID_RISK_30DAY_WINDOW).toBeCloseTo(0.5, 12);
    expect(r.TERMINAL_ID_NB_FRAUD_7DAY_WINDOW).toBe(1);
    expect(r.TERMINAL_ID_NB_FRAUD_30DAY_WINDOW).toBe(2);
    expect(r.TERMINAL_ID_NB_FRAUD_DAYS_22_TO_30_OF_30DAY_WINDOW).toBe(0);
    expect(r.TERMINAL_ID_FRAUD_AVG_AMOUNT_7DAY_WINDOW).toBeCloseTo(300, 12);
    expect(r.TERMINAL_ID_FRAUD_AVG_AMOUNT_30DAY_WINDOW).toBeCloseTo(155, 12);
  });

  test("frauds in the oldest 9 days of the 30-day window: (t - 37d, t - 28d]", () => {
    const old = (ms: number) =>
      f({ timestamp: T, amount: 1 }, [], [term(ms, true)])
        .TERMINAL_ID_NB_FRAUD_DAYS_22_TO_30_OF_30DAY_WINDOW;
    expect(old(T - D7 - 21 * DAY_MS)).toBe(1);
    expect(old(T - D7 - 21 * DAY_MS + 1)).toBe(0);
    expect(old(T - D7 - 30 * DAY_MS + 1)).toBe(1);
    expect(old(T - D7 - 30 * DAY_MS)).toBe(0);
  });
});

describe("calendar features (UTC)", () => {
  test("weekend and night from the UTC weekday and hour", () => {
    const sun = Date.UTC(2018, 3, 1); // Sunday 2018-04-01
    expect(f({ timestamp: sun + 6 * HOUR_MS + 59 * 60_000, amount: 1 })).toMatchObject({
      TX_DURING_WEEKEND: 1,
      TX_DURING_NIGHT: 1,
    });
    expect(f({ timestamp: sun + 7 * HOUR_MS, amount: 1 }).TX_DURING_NIGHT).toBe(0);
    expect(f({ timestamp: sun - 1, amount: 1 }).TX_DURING_WEEKEND).toBe(1); // Saturday 23:59
    expect(f({ timestamp: sun + DAY_MS, amount: 1 }).TX_DURING_WEEKEND).toBe(0); // Monday
    expect(f({ timestamp: sun + DAY_MS, amount: 1 }).TX_DURING_NIGHT).toBe(1); // Monday 00:00
  });
});

describe("extra customer features", () => {
  test("log ratios, z-score and ratio to the prior maximum use the prior history only", () => {
    const r = f({ timestamp: T, amount: 99 }, [
      at(T - DAY_MS * 2, 10),
      at(T - DAY_MS * 3, 30),
      at(T - DAY_MS * 10, 20),
    ]);
    expect(r.TX_AMOUNT).toBe(99);
    expect(r.TX_AMOUNT_LOG).toBeCloseTo(Math.log(100), 12);
    expect(r.CUSTOMER_ID_AMOUNT_LOG_RATIO_7DAY_WINDOW).toBeCloseTo(Math.log(100 / 21), 12);
    expect(r.CUSTOMER_ID_AMOUNT_LOG_RATIO_30DAY_WINDOW).toBeCloseTo(Math.log(100 / 21), 12);
    // prior mean 20, population std sqrt(200/3) = 8.165 < 0.1*20+1 = 3? no: scale = max(8.165, 3)
    expect(r.CUSTOMER_ID_AMOUNT_ZSCORE_30DAY_WINDOW).toBeCloseTo((99 - 20) / Math.sqrt(200 / 3), 9);
    expect(r.CUSTOMER_ID_AMOUNT_LOG_RATIO_MAX_30DAY_WINDOW).toBeCloseTo(Math.log(100 / 31), 12);
  });

  test("no prior history: neutral zeros; z-score clipped", () => {
    const r = f({ timestamp: T, amount: 99 });
    expect(r.CUSTOMER_ID_AMOUNT_LOG_RATIO_30DAY_WINDOW).toBe(0);
    expect(r.CUSTOMER_ID_AMOUNT_ZSCORE_30DAY_WINDOW).toBe(0);
    const z = f({ timestamp: T, amount: 10_000 }, [at(T - DAY_MS, 10), at(T - 2 * DAY_MS, 10)]);
    expect(z.CUSTOMER_ID_AMOUNT_ZSCORE_30DAY_WINDOW).toBe(20);
  });
});

describe("window plans", () => {
  test("whole days plus edges tile the window exactly", () => {
    const w = customerWindow(T, 7);
    const plan = planWindow(w);
    expect(plan.days).toEqual({
      first: Math.floor((T - 7 * DAY_MS) / DAY_MS) + 1,
      last: Math.floor(T / DAY_MS) - 1,
    });
    expect(plan.edges).toEqual([
      { after: T - 7 * DAY_MS, atMost: Math.floor((T - 7 * DAY_MS) / DAY_MS + 1) * DAY_MS - 1 },
      { after: Math.floor(T / DAY_MS) * DAY_MS - 1, atMost: T },
    ]);
    // A window aligned on midnight has no edges.
    const midnight = Math.floor(T / DAY_MS) * DAY_MS - 1;
    expect(planWindow({ after: midnight - 3 * DAY_MS, atMost: midnight }).edges).toEqual([]);
  });

  test("property: every ms of the window is in exactly one part", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 * DAY_MS }),
        fc.integer({ min: 0, max: 3 * DAY_MS }),
        fc.integer({ min: -2, max: 2 * DAY_MS + 2 }),
        (after, length, probe) => {
          const w = { after, atMost: after + length };
          const plan = planWindow(w);
          const ts = after + probe;
          const inDays =
            plan.days !== null &&
            Math.floor(ts / DAY_MS) >= plan.days.first &&
            Math.floor(ts / DAY_MS) <= plan.days.last
              ? 1
              : 0;
          const inEdges = plan.edges.filter((e) => inRange(ts, e)).length;
          expect(inDays + inEdges).toBe(inRange(ts, w) ? 1 : 0);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

// Random histories on a coarse grid (multiples of 6 h, plus a few odd ms), so exact window edges
// (n days apart) and equal timestamps happen often.
const rowArb = fc.record({
  slot: fc.integer({ min: 0, max: 4 * 45 }),
  jitter: fc.constantFrom(0, 0, 0, 1, -1, 3_600_000),
  customer: fc.integer({ min: 0, max: 3 }),
  terminal: fc.integer({ min: 0, max: 3 }),
  cents: fc.integer({ min: 0, max: 50_000 }),
  fraud: fc.boolean(),
});

describe("batch path == single-payment path", () => {
  test("property: computeFeatureMatrix equals featuresFromHistory for every row", () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { minLength: 1, maxLength: 60 }),
        fc.boolean(),
        (rows, shuffle) => {
          const base = Date.UTC(2018, 6, 1);
          const table = rows.map((r, i) => ({
            ts: base + r.slot * 6 * HOUR_MS + r.jitter,
            seq: shuffle ? (i * 7919) % 1009 : i,
            ...r,
            amount: r.cents / 100,
          }));
          const m = computeFeatureMatrix({
            length: table.length,
            timestampMs: table.map((r) => r.ts),
            sequence: table.map((r) => r.seq),
            customer: table.map((r) => r.customer),
            terminal: table.map((r) => r.terminal),
            amount: table.map((r) => r.amount),
            fraud: table.map((r) => (r.fraud ? 1 : 0)),
          });
          table.forEach((row, i) => {
            const before = table.filter(
              (o, j) =>
                j !== i &&
                (o.ts < row.ts ||
                  (o.ts === row.ts && (o.seq < row.seq || (o.seq === row.seq && j < i)))),
            );
            const single = featuresFromHistory(
              { timestamp: row.ts, amount: row.amount },
              before
                .filter((o) => o.customer === row.customer)
                .map((o) => ({ timestamp: o.ts, amount: o.amount })),
              before
                .filter((o) => o.terminal === row.terminal)
                .map((o) => ({ timestamp: o.ts, amount: o.amount, fraud: o.fraud })),
            );
            for (let k = 0; k < FEATURE_COUNT; k++) {
              expect(Math.abs(m[i * FEATURE_COUNT + k] - single[k])).toBeLessThanOrEqual(1e-9);
            }
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  test("ties: of two payments at the same ms, only the earlier-received one counts for the other", () => {
    const m = computeFeatureMatrix({
      length: 2,
      timestampMs: [T, T],
      sequence: [2, 1],
      customer: [0, 0],
      terminal: [0, 0],
      amount: [10, 20],
      fraud: [0, 0],
    });
    const nb1 = FEATURE_NAMES.indexOf("CUSTOMER_ID_NB_TX_1DAY_WINDOW");
    expect(m[0 * FEATURE_COUNT + nb1]).toBe(2); // sequence 2 sees sequence 1
    expect(m[1 * FEATURE_COUNT + nb1]).toBe(1); // sequence 1 does not see sequence 2
  });
});

describe("day aggregates + edge rows == full scan", () => {
  test("property: customer and terminal statistics from parts equal the exact scan", () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { maxLength: 80 }),
        fc.integer({ min: 0, max: 4 * 45 }),
        fc.constantFrom(1, 7, 30),
        fc.integer({ min: -5, max: 5 }),
        (rows, slot, days, offset) => {
          const base = Date.UTC(2018, 6, 1);
          const t = base + slot * 6 * HOUR_MS + offset;
          const cRows = rows.map((r) => ({
            timestamp: base + r.slot * 6 * HOUR_MS + r.jitter,
            amount: r.cents / 100,
          }));
          const tRows = rows.map((r) => ({
            timestamp: base + r.slot * 6 * HOUR_MS + r.jitter,
            amount: r.cents / 100,
            fraud: r.fraud,
          }));
          const cw = customerWindow(t, days);
          const tw = terminalWindow(t, days);
          // The online code reads only the edge rows; give it exactly those.
          const cEdges = cRows.filter((r) =>
            planWindow(cw).edges.some((e) => inRange(r.timestamp, e)),
          );
          const tEdges = tRows.filter((r) =>
            planWindow(tw).edges.some((e) => inRange(r.timestamp, e)),
          );
          expect(
            statsFromParts(customerStatsKind, cw, dayAggregates(customerStatsKind, cRows), cEdges),
          ).toEqual(statsFromRows(customerStatsKind, cRows, cw));
          expect(
            statsFromParts(terminalStatsKind, tw, dayAggregates(terminalStatsKind, tRows), tEdges),
          ).toEqual(statsFromRows(terminalStatsKind, tRows, tw));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
