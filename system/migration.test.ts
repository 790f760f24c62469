import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { expect, test } from "vitest";
import { computeFeatureMatrix } from "../convex/ml/batch";
import { bucketTotals } from "../convex/ml/buckets";
import { FEATURE_COUNT, FEATURE_NAMES } from "../convex/ml/features";
import { customerStatsKind, terminalStatsKind } from "../convex/ml/statistics";
import { startLocalBackend } from "../scripts/local/backend";
import { readTransactionsCsv, type TransactionTable } from "../scripts/ml/csv";
import { apiClient, replay } from "../scripts/replay/driver";
import { DEFAULT_LABEL_DELAY, replayEvents } from "../scripts/replay/events";
import { waitForDecisions } from "../scripts/replay/results";

const FIXTURE = fileURLToPath(new URL("./fixtures/data-v1/", import.meta.url));
const SAMPLE = fileURLToPath(new URL("../data/sample.csv", import.meta.url));
const realSleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The fixture's payments: the first 600 of the sample in time order (see its README). */
function fixtureRows(sample: TransactionTable) {
  const order = Array.from({ length: sample.length }, (_, i) => i).sort(
    (a, b) => sample.timestampMs[a] - sample.timestampMs[b],
  );
  return { old: order.slice(0, 600).filter((r) => sample.amount[r] > 0), order };
}

test("the migrations bring data written by the previous code up to date; it scores exactly", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fraud-v1-"));
  for (const file of ["engine-snapshot.jsonl", "engine-wal-000002.log"]) {
    writeFileSync(join(dir, file), gunzipSync(readFileSync(join(FIXTURE, `${file}.gz`))));
  }
  process.env.API_KEYS = "k";
  process.env.RATE_LIMIT_PER_MINUTE = "1000000000";
  process.env.POOL_LOG_LEVEL = "WARN";
  const backend = await startLocalBackend({ dataDir: dir, crons: false, log: () => undefined });
  try {
    // The migrations run at start, in batches on the scheduler; the folder follows.
    let state;
    for (let wait = 0; wait < 600; wait++) {
      state = await backend.t.run(async (ctx) => {
        const staged = await ctx.db.query("tempTransactions").take(2_000);
        const scored = await ctx.db.query("transactions").take(2_000);
        const unfolded = await ctx.db
          .query("historyRows")
          .withIndex("by_folded", (q) => q.eq("folded", false))
          .take(1);
        return {
          payments: [...staged, ...scored],
          withoutRows: [...staged, ...scored].filter((p) => p.historyRows === undefined).length,
          unfolded: unfolded.length,
          legacy:
            (await ctx.db.query("customerDays").take(1)).length +
            (await ctx.db.query("terminalDays").take(1)).length +
            staged.filter((p) => p.attempts !== undefined).length +
            scored.filter((p) => p.fraud.level !== undefined).length,
          rows: await ctx.db.query("historyRows").take(5_000),
          customerBuckets: await ctx.db.query("customerBuckets").take(20_000),
          terminalBuckets: await ctx.db.query("terminalBuckets").take(20_000),
        };
      });
      if (state.withoutRows === 0 && state.unfolded === 0 && state.legacy === 0) break;
      await realSleep(50);
    }
    if (!state) throw new Error("no state");
    expect(state.payments.length).toBeGreaterThan(550);
    expect(state.withoutRows).toBe(0);
    expect(state.unfolded).toBe(0);
    expect(state.legacy).toBe(0);
    expect(state.rows).toHaveLength(2 * state.payments.length);
    // The buckets count every payment exactly.
    const expectedTerminal = new Map<string, unknown>();
    for (const terminal of new Set(state.payments.map((p) => p.terminalId))) {
      const rows = state.payments
        .filter((p) => p.terminalId === terminal)
        .map((p) => ({ timestamp: p.timestamp, amount: p.amount, fraud: p.label === "fraud" }));
      for (const b of bucketTotals(terminalStatsKind, rows).values()) {
        expectedTerminal.set(`${terminal}/${b.level}/${b.start}`, b.stats);
      }
    }
    expect(
      new Map(state.terminalBuckets.map((b) => [`${b.terminalId}/${b.level}/${b.start}`, b.stats])),
    ).toEqual(expectedTerminal);
    const payments = state.payments;
    const customerCount = [...new Set(payments.map((p) => p.userId))].reduce(
      (n, user) =>
        n +
        bucketTotals(
          customerStatsKind,
          payments.filter((p) => p.userId === user),
        ).size,
      0,
    );
    expect(state.customerBuckets).toHaveLength(customerCount);

    // New payments after the migrated ones score exactly as the batch path says.
    const sample = await readTransactionsCsv(SAMPLE);
    const { old, order } = fixtureRows(sample);
    const next = order.slice(600, 680).filter((r) => sample.amount[r] > 0);
    const client = apiClient((url, init) => backend.t.fetch(url, init), "/api/v1", "k");
    // The fixture's customers, as its replay created them (externalId "v1:<customer>").
    const users = await backend.t.run(async (ctx) => await ctx.db.query("users").take(1_000));
    const customerIndex = new Map(sample.customerIds.map((id, k) => [`v1:${id}`, k]));
    const { paymentIds } = await replay(
      client,
      sample,
      replayEvents(sample, next, DEFAULT_LABEL_DELAY),
      {
        concurrency: 1,
        runId: "v1",
        users: new Map(users.map((u) => [customerIndex.get(u.externalId!)!, u._id])),
      },
    );
    expect(await waitForDecisions(client, 60_000)).toBe(0);
    const all = [...old, ...next];
    const batch = computeFeatureMatrix({
      length: all.length,
      timestampMs: all.map((r) => sample.timestampMs[r]),
      sequence: all.map((r) => sample.sequence[r]),
      customer: all.map((r) => sample.customer[r]),
      terminal: all.map((r) => sample.terminal[r]),
      amount: all.map((r) => sample.amount[r]),
      fraud: all.map((r) => sample.fraud[r]),
    });
    for (const [k, row] of next.entries()) {
      const res = await client.request("GET", `/transactions/${paymentIds.get(row)}`);
      const features = (
        res.body as { transaction: { fraud: { features: Record<string, number> } } }
      ).transaction.fraud.features;
      const i = old.length + k;
      FEATURE_NAMES.forEach((name, j) => {
        expect(Math.abs(features[name] - batch[i * FEATURE_COUNT + j]), name).toBeLessThanOrEqual(
          1e-9,
        );
      });
    }
  } finally {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);
