import { expect, test } from "vitest";
import type { Id } from "../convex/_generated/dataModel";
import { customerStatsKind, dayAggregates, terminalStatsKind } from "../convex/ml/statistics";
import { DAY_MS } from "../convex/ml/time";
import { call, createUser, postPayment, runScheduled, storedFraud } from "../convex/test.setup";
import { setupSystem } from "./setup";

const bulkResult = storedFraud({ score: 0, probability: 0, attributionMethod: "bulk" });

test("a terminal with 100,000 payments in its windows scores within Convex's limits", async () => {
  const t = setupSystem();
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
    for (const [day, stats] of dayAggregates(terminalStatsKind, rows)) {
      await ctx.db.insert("terminalDays", { terminalId: "T-busy", day, stats });
    }
    for (const [day, stats] of dayAggregates(customerStatsKind, rows)) {
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
