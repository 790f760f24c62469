import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { readTransactionsCsv, writeTransactionsCsv } from "./csv";
import {
  generateCustomerProfiles,
  generateCustomerTransactions,
  generateTerminalProfiles,
  roundCents,
  simulate,
  terminalsWithinRadius,
  type RawTransaction,
} from "./simulator";

describe("the handbook's documented example (chapter 3, 5 customers / 5 terminals / r = 50)", () => {
  const customers = generateCustomerProfiles(5, 0);
  const terminals = generateTerminalProfiles(5, 0);
  for (const c of customers) c.terminals = terminalsWithinRadius(c, terminals, 50);

  test("customer and terminal profiles", () => {
    expect(customers[0].x).toBeCloseTo(54.88135, 5);
    expect(customers[0].meanAmount).toBeCloseTo(62.262521, 6);
    expect(customers[0].stdAmount).toBeCloseTo(31.13126, 5);
    expect(customers[0].meanNbTxPerDay).toBeCloseTo(2.179533, 6);
    expect(customers[4].x).toBeCloseTo(2.02184, 5);
    expect(customers[4].meanNbTxPerDay).toBeCloseTo(3.480049, 6);
    expect(terminals[3].x).toBeCloseTo(43.758721, 6);
    expect(terminals[3].y).toBeCloseTo(89.1773, 4);
    expect(customers.map((c) => c.terminals)).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [1, 4],
      [0, 1, 2, 3],
      [2, 3],
    ]);
  });

  test("customer 0's first transactions, draw for draw", () => {
    const tx = generateCustomerTransactions(0, customers[0], 5, 0);
    expect(tx.slice(0, 8).map((t) => [t.timeSeconds, t.terminalId, t.amount])).toEqual([
      [26345, 3, 123.59],
      [68522, 3, 46.51],
      [64816, 0, 77.34],
      [141182, 2, 32.35],
      [137138, 3, 63.3],
      [143211, 3, 13.59],
      [118266, 2, 54.72],
      [159887, 3, 51.89],
    ]);
  });

  test("all 5 customers: 65 transactions, the last ones as printed", () => {
    const all: RawTransaction[] = [];
    customers.forEach((c, i) => generateCustomerTransactions(i, c, 5, i, all));
    expect(all).toHaveLength(65);
    expect(all.slice(-5).map((t) => [t.timeSeconds, t.terminalId, t.amount])).toEqual([
      [373279, 2, 111.38],
      [370799, 3, 80.36],
      [408214, 2, 53.25],
      [391898, 2, 36.44],
      [391126, 3, 17.53],
    ]);
  });
});

test("numpy's round(x, 2) rounds half to even on the scaled value", () => {
  expect(roundCents(0.125)).toBe(0.12);
  expect(roundCents(0.375)).toBe(0.38);
  expect(roundCents(57.164)).toBe(57.16);
});

describe("simulator laws on a small run", () => {
  const opts = { customers: 400, terminals: 800, days: 60, radius: 5 };
  const run = simulate(opts);
  const tx = run.transactions;

  test("rows are chronological and consistent", () => {
    expect(tx.length).toBeGreaterThan(10_000);
    const bad: number[] = [];
    for (let i = 0; i < tx.length; i++) {
      const tod = tx.timeSeconds[i] - tx.timeDays[i] * 86400;
      const ok =
        (i === 0 || tx.timeSeconds[i] >= tx.timeSeconds[i - 1]) &&
        tod > 0 &&
        tod < 86400 &&
        tx.fraud[i] === (tx.scenario[i] > 0 ? 1 : 0);
      if (!ok) bad.push(i);
    }
    expect(bad).toEqual([]);
  });

  test("terminals lie within the radius of their customer", () => {
    let far = 0;
    for (let i = 0; i < tx.length; i++) {
      const c = run.customers[tx.customerId[i]];
      const t = run.terminals[tx.terminalId[i]];
      if (!(Math.hypot(c.x - t.x, c.y - t.y) < opts.radius)) far++;
    }
    expect(far).toBe(0);
  });

  test("Poisson counts, time of day N(43200, 20000) truncated, amounts N(m, m/2)", () => {
    // Expected kept transactions: sum of daily means times P(0 < N(43200, 20000) < 86400) = 0.9692,
    // for customers with at least one terminal.
    let expected = 0;
    for (const c of run.customers)
      if (c.terminals.length) expected += c.meanNbTxPerDay * opts.days * 0.9692;
    expect(tx.length / expected).toBeGreaterThan(0.97);
    expect(tx.length / expected).toBeLessThan(1.03);
    let tod = 0;
    let ratio = 0;
    let m = 0;
    for (let i = 0; i < tx.length; i++) {
      tod += tx.timeSeconds[i] - tx.timeDays[i] * 86400;
      if (tx.scenario[i] !== 3) {
        ratio += tx.amount[i] / run.customers[tx.customerId[i]].meanAmount;
        m++;
      }
    }
    expect(Math.abs(tod / tx.length - 43200)).toBeLessThan(600);
    expect(Math.abs(ratio / m - 1)).toBeLessThan(0.03);
  });

  test("scenario 1: every amount above 220 is fraud", () => {
    let above = 0;
    for (let i = 0; i < tx.length; i++) {
      if (tx.amount[i] > 220) {
        above++;
        expect(tx.fraud[i]).toBe(1);
      }
    }
    expect(above).toBeGreaterThan(0);
  });

  test("scenario 3 frauds carry 5x a two-decimal amount; per-scenario counts are positive", () => {
    for (let i = 0; i < tx.length; i++) {
      if (tx.scenario[i] === 3) {
        const base = tx.amount[i] / 5;
        expect(Math.abs(base * 100 - Math.round(base * 100))).toBeLessThan(1e-6);
      }
    }
    const s = run.fraudsByScenario;
    expect(s.scenario1).toBeGreaterThan(0);
    expect(s.scenario2).toBeGreaterThan(0);
    expect(s.scenario3).toBeGreaterThan(0);
  });

  test("deterministic: same seed, same bytes; another seed, other data; CSV round trip", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-"));
    const a = join(dir, "a.csv");
    const b = join(dir, "b.csv");
    const c = join(dir, "c.csv");
    await writeTransactionsCsv(a, tx);
    await writeTransactionsCsv(b, simulate(opts).transactions);
    await writeTransactionsCsv(c, simulate({ ...opts, seed: 7 }).transactions);
    const hash = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
    expect(hash(a)).toBe(hash(b));
    expect(hash(a)).not.toBe(hash(c));
    const back = await readTransactionsCsv(a);
    expect(back.length).toBe(tx.length);
    for (let i = 0; i < tx.length; i += 97) {
      expect(back.amount[i]).toBe(tx.amount[i]);
      expect(back.fraud[i]).toBe(tx.fraud[i]);
      expect(back.timestampMs[i]).toBe(Date.UTC(2018, 3, 1) + tx.timeSeconds[i] * 1000);
      expect(back.customerIds[back.customer[i]]).toBe(String(tx.customerId[i]));
      expect(back.timeDays[i]).toBe(tx.timeDays[i]);
    }
  });
});
