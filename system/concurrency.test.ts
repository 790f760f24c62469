import { expect, test } from "vitest";
import { bucketTotals } from "../convex/ml/buckets";
import { customerStatsKind, terminalStatsKind, type StatsKind } from "../convex/ml/statistics";
import { call, createUser, postPayment, runScheduled } from "../convex/test.setup";
import { setupSystem } from "./setup";

/**
 * 64 clients at once, each posting, labelling and deleting, while payments get scored in
 * between: every accepted POST is one payment, every successful DELETE removed exactly
 * one, and every history bucket still matches a recount of the payments.
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
      rows: await ctx.db.query("historyRows").take(10_000),
      customerBuckets: await ctx.db.query("customerBuckets").take(20_000),
      terminalBuckets: await ctx.db.query("terminalBuckets").take(20_000),
    };
  });
  expect(state.payments.length).toBe(accepted - deleted);
  expect(new Set(state.payments.map((p) => p.paymentId)).size).toBe(state.payments.length);
  expect(state.payments.every((p) => p.status === "scored")).toBe(true);
  // One history row per surviving payment and side, all folded once the folder is idle.
  expect(state.rows.length).toBe(2 * state.payments.length);
  expect(state.rows.every((r) => r.folded)).toBe(true);

  // Every bucket, at every level, equals a recount of the surviving payments.
  const sortKeys = (o: object) => JSON.stringify(Object.fromEntries(Object.entries(o).sort()));
  const line = (key: string, b: { level: number; start: number; stats: object }) =>
    `${key}/${b.level}/${b.start}/${sortKeys(b.stats)}`;
  const recount = <S extends object, Row extends { timestamp: number }>(
    kind: StatsKind<S, Row>,
    keyOf: (p: (typeof state.payments)[number]) => string,
    rowOf: (p: (typeof state.payments)[number]) => Row,
  ) => {
    const lines: string[] = [];
    for (const key of new Set(state.payments.map(keyOf))) {
      const rows = state.payments.filter((p) => keyOf(p) === key).map(rowOf);
      for (const bucket of bucketTotals(kind, rows).values()) lines.push(line(key, bucket));
    }
    return lines.sort();
  };
  const nonEmpty = <B extends { stats: { count: number } }>(buckets: B[]) =>
    buckets.filter((b) => b.stats.count > 0);
  expect(
    nonEmpty(state.terminalBuckets)
      .map((b) => line(b.terminalId, b))
      .sort(),
  ).toEqual(
    recount(
      terminalStatsKind,
      (p) => p.terminalId,
      (p) => ({ timestamp: p.timestamp, amount: p.amount, fraud: p.label === "fraud" }),
    ),
  );
  expect(
    nonEmpty(state.customerBuckets)
      .map((b) => line(b.userId, b))
      .sort(),
  ).toEqual(
    recount(
      customerStatsKind,
      (p) => p.userId,
      (p) => ({ timestamp: p.timestamp, amount: p.amount }),
    ),
  );
}, 120_000);
