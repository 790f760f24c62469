import { expect, test } from "vitest";
import { customerStatsKind, dayAggregates, terminalStatsKind } from "../convex/ml/statistics";
import { call, createUser, postPayment, runScheduled } from "../convex/test.setup";
import { setupSystem } from "./setup";

/**
 * 64 clients at once, each posting, labelling and deleting, while payments get scored in
 * between: every accepted POST is one payment, every successful DELETE removed exactly
 * one, and the history aggregates still match the payments.
 */
test("64 concurrent clients leave counts that add up", async () => {
  const t = setupSystem();
  const users = await Promise.all(Array.from({ length: 8 }, () => createUser(t)));
  const base = Date.UTC(2018, 6, 1);
  let accepted = 0;
  let deleted = 0;
  let notFound = 0;
  let fiveHundreds = 0;
  const allIds: string[] = [];

  const clientRun = async (client: number) => {
    const mine: string[] = [];
    for (let step = 0; step < 12; step++) {
      const roll = (client * 31 + step * 17) % 10;
      if (roll < 6 || mine.length === 0) {
        const res = await postPayment(
          t,
          {
            userId: users[(client + step) % users.length],
            amount: 5 + ((client * step) % 300),
            terminalId: `T${(client + step) % 13}`,
            timestamp: base + (client * 12 + step) * 60_000,
          },
          // Some requests reuse an earlier key with another body: a 409, never a second payment.
          step % 4 === 3
            ? { "Idempotency-Key": `c${client}-s${step - 1}` }
            : { "Idempotency-Key": `c${client}-s${step}` },
        );
        if (res.status >= 500) fiveHundreds += 1;
        if (res.status === 202 && res.headers.get("idempotent-replayed") !== "true") {
          accepted += 1;
          mine.push(res.body.transaction.id);
          allIds.push(res.body.transaction.id);
        }
      } else if (roll < 8) {
        const id = mine[step % mine.length];
        const res = await call(t, "POST", `/transactions/${id}/feedback`, {
          body: { label: step % 2 ? "fraud" : "legitimate" },
        });
        if (res.status >= 500) fiveHundreds += 1;
      } else {
        // Two clients may race to delete the same payment: exactly one wins.
        const id = allIds[(client * 7 + step) % allIds.length];
        const res = await call(t, "DELETE", `/transactions/${id}`);
        if (res.status === 204) deleted += 1;
        else if (res.status === 404) notFound += 1;
        else fiveHundreds += 1;
      }
      if (step % 5 === 4) await runScheduled(t);
    }
  };
  await Promise.all(Array.from({ length: 64 }, (_, c) => clientRun(c)));
  await runScheduled(t);

  expect(fiveHundreds).toBe(0);
  expect(accepted).toBeGreaterThan(300);
  expect(deleted).toBeGreaterThan(50);
  // Deletes of an already deleted payment happened, and were 404s, not second deletions.
  expect(notFound).toBeGreaterThan(0);
  const state = await t.run(async (ctx) => {
    const payments = [
      ...(await ctx.db.query("tempTransactions").take(10_000)),
      ...(await ctx.db.query("transactions").take(10_000)),
    ];
    return {
      payments,
      customerDays: await ctx.db.query("customerDays").take(10_000),
      terminalDays: await ctx.db.query("terminalDays").take(10_000),
    };
  });
  expect(state.payments.length).toBe(accepted - deleted);
  expect(new Set(state.payments.map((p) => p.paymentId)).size).toBe(state.payments.length);
  expect(state.payments.every((p) => p.status === "scored")).toBe(true);

  // The day aggregates equal a recount of the surviving payments.
  const sortKeys = (o: object) => JSON.stringify(Object.fromEntries(Object.entries(o).sort()));
  const stored = state.terminalDays
    .map((d) => `${d.terminalId}/${d.day}/${sortKeys(d.stats)}`)
    .sort();
  const expected: string[] = [];
  for (const terminalId of new Set(state.payments.map((p) => p.terminalId))) {
    const rows = state.payments
      .filter((p) => p.terminalId === terminalId)
      .map((p) => ({ timestamp: p.timestamp, amount: p.amount, fraud: p.label === "fraud" }));
    for (const [day, stats] of dayAggregates(terminalStatsKind, rows))
      expected.push(`${terminalId}/${day}/${sortKeys(stats)}`);
  }
  expect(stored).toEqual(expected.sort());
  const customerTotal = state.customerDays.reduce((n, d) => n + d.stats.count, 0);
  expect(customerTotal).toBe(state.payments.length);
  for (const userId of new Set(state.payments.map((p) => p.userId))) {
    const rows = state.payments.filter((p) => p.userId === userId);
    for (const [day, stats] of dayAggregates(customerStatsKind, rows)) {
      const doc = state.customerDays.find((d) => d.userId === userId && d.day === day);
      expect(doc?.stats).toEqual(stats);
    }
  }
}, 120_000);
