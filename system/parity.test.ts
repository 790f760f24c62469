import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { readTransactionsCsv, type TransactionTable } from "../scripts/ml/csv";
import { DEFAULT_LABEL_DELAY, replayEvents } from "../scripts/replay/events";
import { replay } from "../scripts/replay/driver";
import { apiClientFor, runScheduled } from "../convex/test.setup";
import { setupSystem } from "./setup";
import { computeFeatureMatrix } from "../convex/ml/batch";
import { FEATURE_COUNT, FEATURE_NAMES } from "../convex/ml/features";
import { committedArtifact } from "../convex/ml/artifact";
import { scoreFeatureVectors } from "../convex/ml/scorer";

/** The rows of a table that pass `keep`, as a table of their own. */
function sliceTable(table: TransactionTable, keep: (row: number) => boolean): TransactionTable {
  const rows = Array.from({ length: table.length }, (_, r) => r).filter(keep);
  return {
    ...table,
    length: rows.length,
    transactionId: rows.map((r) => table.transactionId[r]),
    sequence: Float64Array.from(rows, (r) => table.sequence[r]),
    timestampMs: Float64Array.from(rows, (r) => table.timestampMs[r]),
    customer: Int32Array.from(rows, (r) => table.customer[r]),
    terminal: Int32Array.from(rows, (r) => table.terminal[r]),
    amount: Float64Array.from(rows, (r) => table.amount[r]),
    fraud: Uint8Array.from(rows, (r) => table.fraud[r]),
    timeDays: Int32Array.from(rows, (r) => table.timeDays[r]),
    scenario: Uint8Array.from(rows, (r) => table.scenario[r]),
  };
}

/** Payments posted between two runs of the pools. */
const SCORING_BATCH = 25;
const SAMPLE = fileURLToPath(new URL("../data/sample.csv", import.meta.url));
const artifact = committedArtifact;

/**
 * Train/serve parity: simulated payments replayed through the real HTTP API, with fraud
 * labels arriving as feedback up to 7 days later, get exactly the features the batch code
 * computes from the CSV, and exactly the probabilities the offline scorer gives them.
 */
test("online features and scores equal the batch features and offline scores", async () => {
  // Ten simulated customers' payments over the first four months: a few thousand payments
  // at hundreds of terminals, with frauds labelled through the API as they are discovered.
  const sample = await readTransactionsCsv(SAMPLE);
  const until = Date.UTC(2018, 7, 1);
  const table = sliceTable(sample, (r) => sample.timestampMs[r] < until);
  const rows = Array.from({ length: table.length }, (_, i) => i);
  const events = replayEvents(table, rows, DEFAULT_LABEL_DELAY);
  expect(table.length).toBeGreaterThan(2_500);
  expect(events.filter((e) => e.kind === "label").length).toBeGreaterThan(20);

  const t = setupSystem();
  const client = apiClientFor(t);
  // The pools run after every few payments. That is exact too: a payment's features depend
  // only on payments before it in time, and on labels that arrive at most 7 days after their
  // payment, so every label inside a terminal window (which ends 7 days back) is already in.
  const { paymentIds, stats } = await replay(client, table, events, {
    concurrency: 1,
    runId: "parity",
    afterPayment: (row) =>
      row % SCORING_BATCH === SCORING_BATCH - 1 ? runScheduled(t) : Promise.resolve(),
  });
  await runScheduled(t);
  expect(stats.statuses["5xx"] ?? 0).toBe(0);

  const scoredDocs = await t.run(async (ctx) =>
    (await ctx.db.query("transactions").take(10_000)).map((doc) => ({
      paymentId: doc.paymentId,
      features: doc.fraud.features,
      probability: doc.fraud.probability,
    })),
  );
  const online = new Map(scoredDocs.map((d) => [d.paymentId, d]));
  expect(online.size).toBe(table.length);

  const batch = computeFeatureMatrix(table);
  const vectors = rows.map((r) => batch.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT));
  const offline = await scoreFeatureVectors(artifact, vectors);

  let worstFeature = 0;
  let worstProbability = 0;
  for (const row of rows) {
    const scored = online.get(paymentIds.get(row)!)!;
    FEATURE_NAMES.forEach((name, j) => {
      const diff = Math.abs(scored.features[name] - vectors[row][j]);
      if (diff > worstFeature) worstFeature = diff;
      if (diff > 1e-9) {
        throw new Error(
          `row ${row} ${name}: online ${scored.features[name]}, batch ${vectors[row][j]}`,
        );
      }
    });
    worstProbability = Math.max(
      worstProbability,
      Math.abs(scored.probability - offline.probability[row]),
    );
  }
  expect(worstFeature).toBeLessThanOrEqual(1e-9);
  expect(worstProbability).toBeLessThanOrEqual(1e-9);
}, 600_000);
