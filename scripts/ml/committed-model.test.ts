import { statSync } from "node:fs";
import { expect, test } from "vitest";
import { FEATURE_COUNT, FEATURE_NAMES } from "../../convex/ml/features";
import { assess, decide, scoreFromProbability } from "../../convex/ml/decision";
import { NETWORK_ATTRIBUTION_METHOD } from "../../convex/ml/network";
import { modelOutputs, scoreFeatureVectors } from "../../convex/ml/scorer";
import { readArtifact } from "./artifact";
import { loadDataset } from "./dataset";

// The committed artifact: its content matches its version, its features match the code, and it
// scores the committed sample through the production path.
test("models/fraud-model.json is consistent and scores the sample", async () => {
  expect(statSync("models/fraud-model.json").size).toBeLessThan(1_000_000);
  const artifact = readArtifact("models"); // throws on a version / feature-list mismatch
  expect(artifact.features).toEqual([...FEATURE_NAMES]);
  expect(artifact.scaler.means).toHaveLength(FEATURE_COUNT);
  expect(artifact.thresholds.review).toBeLessThanOrEqual(artifact.thresholds.block);
  const { data } = await loadDataset("data/sample.csv", () => {});
  const rows = Array.from({ length: data.table.length }, (_, i) =>
    data.features.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT),
  );
  const s = await scoreFeatureVectors(artifact, rows);
  expect(s.probability.every((p) => p >= 0 && p <= 1)).toBe(true);
  // Frauds score higher than legitimate payments on average.
  let fraud = 0;
  let legit = 0;
  let nf = 0;
  data.table.fraud.forEach((y, i) => {
    if (y) {
      fraud += s.probability[i];
      nf++;
    } else legit += s.probability[i];
  });
  expect(fraud / nf).toBeGreaterThan((5 * legit) / (data.table.length - nf));
  const i = data.table.fraud.indexOf(1);
  const outputs = await modelOutputs(artifact, rows[i]);
  const one = assess(
    artifact,
    { timestamp: 0, amount: rows[i][0], currency: "USD" },
    rows[i],
    outputs,
  );
  expect(one.probability).toBe(s.probability[i]);
  expect(one.score).toBe(scoreFromProbability(one.probability));
  expect(one.decision).toBe(decide(artifact.thresholds, one.probability));
  expect(outputs.neural.attributionMethod).toBe(NETWORK_ATTRIBUTION_METHOD);
  expect(outputs.logistic.contributions).toHaveLength(FEATURE_COUNT);
});
