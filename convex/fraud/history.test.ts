import fc from "fast-check";
import { expect, test } from "vitest";
import type { Id } from "../_generated/dataModel";
import {
  call,
  createUser,
  postPayment,
  runScheduled,
  setupBackend,
  type Backend,
} from "../test.setup";
import { customerDayAggregates, DAY_MS, terminalDayAggregates } from "./features";

/** JSON with sorted keys (Convex stores object fields sorted). */
const canonical = (stats: object) =>
  JSON.stringify(Object.fromEntries(Object.entries(stats).sort(([a], [b]) => a.localeCompare(b))));

/** The day aggregates as stored, and as recomputed from every payment in both tables. */
async function aggregates(t: Backend) {
  return await t.run(async (ctx) => {
    const payments = [
      ...(await ctx.db.query("tempTransactions").take(10_000)),
      ...(await ctx.db.query("transactions").take(10_000)),
    ];
    const stored = {
      customers: (await ctx.db.query("customerDays").take(10_000))
        .map((d) => `${d.userId}/${d.day}:${canonical(d.stats)}`)
        .sort(),
      terminals: (await ctx.db.query("terminalDays").take(10_000))
        .map((d) => `${d.terminalId}/${d.day}:${canonical(d.stats)}`)
        .sort(),
    };
    const expected = { customers: [] as string[], terminals: [] as string[] };
    for (const userId of new Set(payments.map((p) => p.userId))) {
      const rows = payments.filter((p) => p.userId === userId);
      for (const [day, stats] of customerDayAggregates(rows)) {
        expected.customers.push(`${userId}/${day}:${canonical(stats)}`);
      }
    }
    for (const terminalId of new Set(payments.map((p) => p.terminalId))) {
      const rows = payments
        .filter((p) => p.terminalId === terminalId)
        .map((p) => ({ timestamp: p.timestamp, amount: p.amount, fraud: p.label === "fraud" }));
      for (const [day, stats] of terminalDayAggregates(rows)) {
        expected.terminals.push(`${terminalId}/${day}:${canonical(stats)}`);
      }
    }
    expected.customers.sort();
    expected.terminals.sort();
    return { stored, expected };
  });
}

test("day aggregates stay exact through posts, scoring, labels, relabels and deletes", async () => {
  const t = setupBackend();
  const users = [await createUser(t), await createUser(t)];
  const base = Date.UTC(2018, 6, 1);
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("post" as const),
      user: fc.nat(1),
      terminal: fc.constantFrom("T1", "T2"),
      day: fc.nat(3),
      amount: fc.integer({ min: 1, max: 50_000 }).map((c) => c / 100),
    }),
    fc.record({ kind: fc.constant("label" as const), pick: fc.nat(), fraud: fc.boolean() }),
    fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("score" as const) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
      const ids: string[] = [];
      for (const o of ops) {
        if (o.kind === "post") {
          const res = await postPayment(t, {
            userId: users[o.user],
            terminalId: o.terminal,
            amount: o.amount,
            timestamp: base + o.day * DAY_MS + ids.length * 1000,
          });
          ids.push(res.body.transaction.id);
        } else if (o.kind === "score") {
          await runScheduled(t);
        } else if (ids.length > 0) {
          const id = ids[o.pick % ids.length];
          if (o.kind === "delete") await call(t, "DELETE", `/transactions/${id}`);
          else {
            const label = o.fraud ? "fraud" : "legitimate";
            await call(t, "POST", `/transactions/${id}/feedback`, { body: { label } });
          }
        }
      }
      const { stored, expected } = await aggregates(t);
      expect(stored).toEqual(expected);
    }),
    { numRuns: 25, seed: 7 },
  );
});

const bulkResult = {
  score: 0,
  probability: 0,
  level: "low" as const,
  decision: "allow" as const,
  reasons: [],
  attributionMethod: "bulk",
  models: { logistic: { probability: 0 }, neural: { probability: 0 } },
  features: {},
  modelVersion: "bulk",
  scoredAt: 0,
  latencyMs: 0,
};

test("a terminal with 100,000 payments in its windows scores within Convex's limits", async () => {
  const t = setupBackend({}, { indexed: true });
  const bulkUser = (await createUser(t)) as Id<"users">;
  const userId = await createUser(t);
  const now = Date.UTC(2018, 8, 15, 13, 30);
  const first = now - 37 * DAY_MS;
  const total = 100_000;
  const step = Math.floor((37 * DAY_MS) / total);
  const frauds = (i: number) => i % 50 === 0;
  const rows = Array.from({ length: total }, (_, i) => ({
    timestamp: first + i * step + 1,
    amount: 10 + (i % 7),
    fraud: frauds(i),
  }));
  // Loaded directly (the aggregates as the mutations would have kept them), in
  // transactions of 5,000 writes: Convex allows 16,000 per transaction.
  for (let start = 0; start < total; start += 5_000) {
    await t.run(async (ctx) => {
      for (let i = start; i < Math.min(total, start + 5_000); i++) {
        await ctx.db.insert("transactions", {
          paymentId: `pay_${String(i).padStart(20, "0")}`,
          userId: bulkUser,
          amount: rows[i].amount,
          currency: "USD",
          terminalId: "T-busy",
          timestamp: rows[i].timestamp,
          receivedAt: 0,
          ...(rows[i].fraud ? { label: "fraud" as const } : {}),
          status: "scored",
          fraud: bulkResult,
        });
      }
    });
  }
  await t.run(async (ctx) => {
    for (const [day, stats] of terminalDayAggregates(rows)) {
      await ctx.db.insert("terminalDays", { terminalId: "T-busy", day, stats });
    }
    for (const [day, stats] of customerDayAggregates(rows)) {
      await ctx.db.insert("customerDays", { userId: bulkUser, day, stats });
    }
  });

  const id = (await postPayment(t, { userId, terminalId: "T-busy", amount: 80, timestamp: now }))
    .body.transaction.id;
  await runScheduled(t);
  const tx = (await call(t, "GET", `/transactions/${id}`)).body.transaction;
  expect(tx.status).toBe("scored");

  const inWindow = (days: number) => {
    const end = now - 7 * DAY_MS;
    let count = 0;
    let fraudCount = 0;
    for (const row of rows) {
      if (row.timestamp > end - days * DAY_MS && row.timestamp <= end) {
        count += 1;
        if (row.fraud) fraudCount += 1;
      }
    }
    return { count, fraudCount };
  };
  const w30 = inWindow(30);
  expect(w30.count).toBeGreaterThan(80_000);
  expect(tx.fraud.features.TERMINAL_ID_NB_TX_30DAY_WINDOW).toBe(w30.count);
  expect(tx.fraud.features.TERMINAL_ID_RISK_30DAY_WINDOW).toBeCloseTo(
    w30.fraudCount / w30.count,
    12,
  );
  expect(tx.fraud.features.TERMINAL_ID_NB_TX_7DAY_WINDOW).toBe(inWindow(7).count);
  expect(tx.fraud.features.TERMINAL_ID_NB_TX_1DAY_WINDOW).toBe(inWindow(1).count);
}, 240_000);
