import fc from "fast-check";
import { expect, test } from "vitest";
import {
  call,
  createUser,
  postPayment,
  runScheduled,
  setupBackend,
  type Backend,
} from "../../test.setup";
import { customerStatsKind, dayAggregates, terminalStatsKind } from "../../ml/statistics";
import { DAY_MS } from "../../ml/time";

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
      for (const [day, stats] of dayAggregates(customerStatsKind, rows)) {
        expected.customers.push(`${userId}/${day}:${canonical(stats)}`);
      }
    }
    for (const terminalId of new Set(payments.map((p) => p.terminalId))) {
      const rows = payments
        .filter((p) => p.terminalId === terminalId)
        .map((p) => ({ timestamp: p.timestamp, amount: p.amount, fraud: p.label === "fraud" }));
      for (const [day, stats] of dayAggregates(terminalStatsKind, rows)) {
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
