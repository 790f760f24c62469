import { expect, test } from "vitest";
import { bucketTotals } from "../convex/ml/buckets";
import { computeFeatureMatrix } from "../convex/ml/batch";
import { FEATURE_COUNT, FEATURE_NAMES, featuresFromHistory } from "../convex/ml/features";
import { terminalStatsKind } from "../convex/ml/statistics";
import { DAY_MS } from "../convex/ml/time";
import { customerWindowStats, terminalWindowStats } from "../convex/model/history/windowStats";
import { call, createUser, postPayment, runScheduled, type Backend } from "../convex/test.setup";
import { setupSystem } from "./setup";

type Row = { timestamp: number; amount: number; fraud: boolean };

/**
 * Loads a terminal's history as the write path and the folder leave it: one folded history row
 * per payment, and the buckets counting them (`bucketTotals`, the folder's own arithmetic), in
 * transactions within Convex's limits.
 */
async function loadTerminalHistory(t: Backend, terminalId: string, rows: Row[]) {
  for (let start = 0; start < rows.length; start += 5_000) {
    await t.run(async (ctx) => {
      for (let i = start; i < Math.min(rows.length, start + 5_000); i++) {
        await ctx.db.insert("historyRows", {
          side: "terminal",
          key: terminalId,
          timestamp: rows[i].timestamp,
          amount: rows[i].amount,
          fraud: rows[i].fraud,
          paymentId: `pay_${String(i).padStart(20, "0")}`,
          receivedAt: 0,
          folded: true,
        });
      }
    });
  }
  const buckets = [...bucketTotals(terminalStatsKind, rows).values()];
  for (let start = 0; start < buckets.length; start += 5_000) {
    await t.run(async (ctx) => {
      for (const b of buckets.slice(start, start + 5_000)) {
        await ctx.db.insert("terminalBuckets", { terminalId, ...b });
      }
    });
  }
}

/**
 * The features the batch path (`computeFeatureMatrix`) gives a probe payment after `rows` at
 * one terminal: the history under another customer, the probe a new customer's first payment.
 */
function batchFeaturesOfProbe(rows: Row[], timestamp: number, amount: number): Float64Array {
  const n = rows.length + 1;
  const sorted = [...rows].sort((a, b) => a.timestamp - b.timestamp);
  const matrix = computeFeatureMatrix({
    length: n,
    timestampMs: Float64Array.from([...sorted.map((r) => r.timestamp), timestamp]),
    sequence: Float64Array.from({ length: n }, (_, i) => i),
    customer: Int32Array.from({ length: n }, (_, i) => (i === n - 1 ? 1 : 0)),
    terminal: new Int32Array(n),
    amount: Float64Array.from([...sorted.map((r) => r.amount), amount]),
    fraud: Uint8Array.from([...sorted.map((r) => (r.fraud ? 1 : 0)), 0]),
  });
  return matrix.subarray((n - 1) * FEATURE_COUNT, n * FEATURE_COUNT);
}

/** Scores one payment at `terminalId` and checks every feature against a full scan. */
async function scoreAndCheck(t: Backend, terminalId: string, rows: Row[], now: number) {
  const userId = await createUser(t);
  const posted = await postPayment(t, { userId, terminalId, amount: 80, timestamp: now });
  // The reads of the scoring query, measured as Convex meters them (transaction limits on).
  const payment = { ...posted.body.transaction, paymentId: posted.body.transaction.id };
  const reads = await t.run(async (ctx) => {
    await customerWindowStats(ctx, payment);
    await terminalWindowStats(ctx, payment);
    const metrics = await ctx.meta.getTransactionMetrics();
    return { documents: metrics.documentsRead.used, bytes: metrics.bytesRead.used };
  });
  console.log(`${terminalId}: ${reads.documents} documents, ${reads.bytes} bytes read`);
  // ARCHITECTURE.md's byte bound assumes history documents of at most 256 bytes on average.
  expect(reads.bytes).toBeLessThanOrEqual(reads.documents * 256);
  await runScheduled(t);
  const tx = (await call(t, "GET", `/transactions/${posted.body.transaction.id}`)).body.transaction;
  expect(tx.status).toBe("scored");
  const expected = featuresFromHistory({ timestamp: now, amount: 80 }, [], rows);
  FEATURE_NAMES.forEach((name, j) => expect(tx.fraud.features[name], name).toBe(expected[j]));
  // Train/serve parity at this density: the batch path (sliding windows over the whole table,
  // as training computes features) gives the probe the same features to 1e-9.
  const batch = batchFeaturesOfProbe(rows, now, 80);
  FEATURE_NAMES.forEach((name, j) =>
    expect(Math.abs(tx.fraud.features[name] - batch[j]), name).toBeLessThanOrEqual(1e-9),
  );
  return reads;
}

test("a terminal with 100,000 payments in its windows: exact features, bounded reads", async () => {
  const t = setupSystem();
  const now = Date.UTC(2018, 8, 15, 13, 30, 17, 123);
  const first = now - 37 * DAY_MS;
  const total = 100_000;
  const step = Math.floor((37 * DAY_MS) / total);
  const rows = Array.from({ length: total }, (_, i) => ({
    timestamp: first + i * step + 1,
    amount: 10 + (i % 7),
    fraud: i % 50 === 0,
  }));
  await loadTerminalHistory(t, "T-busy", rows);
  const reads = await scoreAndCheck(t, "T-busy", rows, now);
  // ARCHITECTURE.md: at most 260 buckets, plus the rows of the partial minutes at the edges.
  expect(reads.documents).toBeLessThanOrEqual(400);
}, 240_000);

test("a terminal at 100,000 payments a day around its window edges reads ≤ 1,000 documents", async () => {
  const t = setupSystem();
  const now = Date.UTC(2018, 8, 15, 13, 30, 41, 7);
  // The rate of 100,000 a day (~69 a minute) for an hour around each edge of every terminal
  // window, where the partial minutes are read row by row.
  const perDay = 100_000;
  const step = DAY_MS / perDay;
  const rows: Row[] = [];
  for (const daysBack of [7, 8, 14, 28, 37]) {
    const edge = now - daysBack * DAY_MS;
    for (let k = -perDay / 48; k < perDay / 48; k++) {
      rows.push({
        timestamp: Math.floor(edge + k * step),
        amount: 5 + (k & 7),
        fraud: k % 97 === 0,
      });
    }
  }
  await loadTerminalHistory(t, "T-huge", rows);
  const reads = await scoreAndCheck(t, "T-huge", rows, now);
  expect(reads.documents).toBeLessThanOrEqual(1_000);
}, 240_000);
