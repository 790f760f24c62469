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
import { bucketStart, FINEST_LEVEL } from "../../ml/buckets";
import { customerStatsKind, terminalStatsKind } from "../../ml/statistics";
import { DAY_MS } from "../../ml/time";

/** JSON with sorted keys (Convex stores object fields sorted). */
const canonical = (stats: object) =>
  JSON.stringify(Object.fromEntries(Object.entries(stats).sort(([a], [b]) => a.localeCompare(b))));

/**
 * The history as stored, and as it should be: one row per payment and side carrying the
 * payment's label, and buckets that count exactly the folded rows.
 */
async function history(t: Backend) {
  return await t.run(async (ctx) => {
    const payments = [
      ...(await ctx.db.query("tempTransactions").take(10_000)),
      ...(await ctx.db.query("transactions").take(10_000)),
    ];
    const rows = await ctx.db.query("historyRows").take(10_000);
    const stored = {
      rows: rows
        .map((r) => `${r.side}/${r.key}/${r.paymentId}/${r.timestamp}/${r.amount}/${r.fraud}`)
        .sort(),
      customer: (await ctx.db.query("customerBuckets").take(10_000))
        .map((b) => `${b.userId}/${b.level}/${b.start}:${canonical(b.stats)}`)
        .sort(),
      terminal: (await ctx.db.query("terminalBuckets").take(10_000))
        .map((b) => `${b.terminalId}/${b.level}/${b.start}:${canonical(b.stats)}`)
        .sort(),
    };
    const expected = { rows: [] as string[], customer: [] as string[], terminal: [] as string[] };
    for (const p of payments) {
      const common = `${p.paymentId}/${p.timestamp}/${p.amount}`;
      expected.rows.push(`customer/${p.userId}/${common}/false`);
      expected.rows.push(`terminal/${p.terminalId}/${common}/${p.label === "fraud"}`);
    }
    const folded = rows.filter((r) => r.folded);
    for (const key of new Set(folded.filter((r) => r.side === "customer").map((r) => r.key))) {
      const mine = folded.filter((r) => r.side === "customer" && r.key === key);
      for (let level = 0; level <= FINEST_LEVEL; level++) {
        const byStart = new Map<number, typeof mine>();
        for (const r of mine) {
          const start = bucketStart(r.timestamp, level);
          byStart.set(start, [...(byStart.get(start) ?? []), r]);
        }
        for (const [start, list] of byStart) {
          const stats = list.reduce(
            (acc, r) => customerStatsKind.add(acc, r),
            customerStatsKind.empty(),
          );
          expected.customer.push(`${key}/${level}/${start}:${canonical(stats)}`);
        }
      }
    }
    for (const key of new Set(folded.filter((r) => r.side === "terminal").map((r) => r.key))) {
      const mine = folded.filter((r) => r.side === "terminal" && r.key === key);
      for (let level = 0; level <= FINEST_LEVEL; level++) {
        const byStart = new Map<number, typeof mine>();
        for (const r of mine) {
          const start = bucketStart(r.timestamp, level);
          byStart.set(start, [...(byStart.get(start) ?? []), r]);
        }
        for (const [start, list] of byStart) {
          const stats = list.reduce(
            (acc, r) => terminalStatsKind.add(acc, r),
            terminalStatsKind.empty(),
          );
          expected.terminal.push(`${key}/${level}/${start}:${canonical(stats)}`);
        }
      }
    }
    expected.rows.sort();
    expected.customer.sort();
    expected.terminal.sort();
    return { stored, expected, unfolded: rows.length - folded.length };
  });
}

test("the history stays exact through posts, folding, scoring, labels, relabels and deletes", async () => {
  const t = setupBackend();
  const users = [await createUser(t), await createUser(t)];
  const base = Date.UTC(2018, 6, 1);
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("post" as const),
      user: fc.nat(1),
      terminal: fc.constantFrom("T1", "T2"),
      day: fc.nat(3),
      at: fc.integer({ min: 0, max: DAY_MS - 1 }),
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
            timestamp: base + o.day * DAY_MS + o.at,
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
      const now = await history(t);
      expect(now.stored).toEqual(now.expected);
      // Once the folder has caught up, every row is in the buckets.
      await runScheduled(t);
      const caughtUp = await history(t);
      expect(caughtUp.unfolded).toBe(0);
      expect(caughtUp.stored).toEqual(caughtUp.expected);
    }),
    { numRuns: 15, seed: 7 },
  );
});
