import { expect, test } from "vitest";
import { addDays, getTrainTestSet } from "./protocol";

const DAY = 86_400_000;
const start = Date.UTC(2018, 6, 25);

test("get_train_test_set: windows, delay, and known-compromised cards removed per test day", () => {
  // One payment per customer per day for days 0..20 (day 0 = train start); customers 0..4.
  // Customer 1: fraud on day 3 (training) -> removed from every test day.
  // Customer 2: fraud on day 7 (delay period): known from test day 1 (day 15) on.
  // Customer 3: fraud on day 12: known from test day 6 (day 20) on.
  // Customer 4: fraud on day 14 (a test day): never removed within the test week.
  const rows: { ts: number; day: number; customer: number; fraud: number }[] = [];
  for (let day = 0; day < 21; day++) {
    for (let c = 0; c < 5; c++) {
      const fraud =
        (c === 1 && day === 3) ||
        (c === 2 && day === 7) ||
        (c === 3 && day === 12) ||
        (c === 4 && day === 14)
          ? 1
          : 0;
      rows.push({ ts: start + day * DAY + 3600_000 * (c + 1), day: day + 115, customer: c, fraud });
    }
  }
  const table = {
    length: rows.length,
    timestampMs: rows.map((r) => r.ts),
    timeDays: rows.map((r) => r.day),
    customer: rows.map((r) => r.customer),
    fraud: rows.map((r) => r.fraud),
    sequence: rows.map((_, i) => i),
  };
  const split = getTrainTestSet(table, "2018-07-25");
  expect(split.train.length).toBe(35);
  expect(Array.from(split.train).every((i) => rows[i].day - 115 < 7)).toBe(true);
  const testByDay = new Map<number, number[]>();
  for (const i of split.test) {
    const d = rows[i].day - 115;
    testByDay.set(d, [...(testByDay.get(d) ?? []), rows[i].customer]);
  }
  expect([...testByDay.keys()]).toEqual([14, 15, 16, 17, 18, 19, 20]);
  expect(testByDay.get(14)).toEqual([0, 2, 3, 4]);
  for (const d of [15, 16, 17, 18, 19]) expect(testByDay.get(d)).toEqual([0, 3, 4]);
  expect(testByDay.get(20)).toEqual([0, 4]);
  // Sorted by TRANSACTION_ID (sequence).
  expect(Array.from(split.test)).toEqual([...split.test].sort((a, b) => a - b));
});

test("addDays", () => {
  expect(addDays("2018-07-25", -14)).toBe("2018-07-11");
  expect(addDays("2018-07-25", 14)).toBe("2018-08-08");
});
