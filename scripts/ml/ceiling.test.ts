import { expect, test } from "vitest";
import { computeFeatureMatrix } from "../../convex/ml/batch";
import { cpAt100Ceiling, signalFrauds } from "./ceiling";
import type { TransactionTable } from "./csv";

const DAY = 86_400_000;
const t0 = Date.UTC(2018, 6, 1);

/** A table from (day, customer, terminal, amount, scenario) rows; fraud = scenario > 0. */
function table(rows: [number, number, number, number, number][]): TransactionTable {
  const n = rows.length;
  return {
    length: n,
    transactionId: rows.map((_, i) => String(i)),
    sequence: Float64Array.from(rows, (_, i) => i),
    timestampMs: Float64Array.from(rows, ([d], i) => t0 + d * DAY + 1000 * i),
    customer: Int32Array.from(rows, (r) => r[1]),
    customerIds: ["0", "1", "2", "3"],
    terminal: Int32Array.from(rows, (r) => r[2]),
    terminalIds: ["0", "1"],
    amount: Float64Array.from(rows, (r) => r[3]),
    fraud: Uint8Array.from(rows, (r) => (r[4] > 0 ? 1 : 0)),
    timeDays: Int32Array.from(rows, (r) => r[0]),
    scenario: Uint8Array.from(rows, (r) => r[4]),
  };
}

test("frauds of a terminal compromised less than 7 days ago carry no signal; the others do", () => {
  // Terminal 1 is compromised from day 0: its frauds on days 0 and 3 precede any known label,
  // the one on day 9 comes after the day-0 fraud became known (day 7). Scenarios 1 and 3 always
  // carry signal (the amount); legitimate payments never count.
  const t = table([
    [0, 0, 1, 50, 2],
    [3, 1, 1, 40, 2],
    [5, 2, 0, 300, 1],
    [6, 3, 0, 60, 0],
    [8, 3, 0, 250, 3],
    [9, 2, 1, 45, 2],
  ]);
  const data = { table: t, features: computeFeatureMatrix(t) };
  const rows = [0, 1, 2, 3, 4, 5];
  expect(Array.from(signalFrauds(data, rows) ?? [])).toEqual([0, 0, 1, 0, 1, 1]);
  // Six days; day 5 finds card 2 and day 8 card 3; card 2 on day 9 was already found.
  expect(cpAt100Ceiling(data, rows)).toBeCloseTo(2 / 100 / 6, 12);
});

test("data without fraud scenarios has no ceiling", () => {
  const t = table([
    [0, 0, 0, 50, 0],
    [1, 1, 1, 500, 0],
  ]);
  t.fraud[1] = 1;
  const data = { table: t, features: computeFeatureMatrix(t) };
  expect(signalFrauds(data, [0, 1])).toBeNull();
  expect(cpAt100Ceiling(data, [0, 1])).toBeNull();
});
