import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { FEATURE_COUNT, FEATURE_NAMES } from "../../convex/ml/features";
import {
  assess,
  combineProbabilities,
  decide,
  scoreFromProbability,
} from "../../convex/ml/decision";
import {
  logisticContributions,
  logisticProbabilities,
  logisticWeights,
  logit,
  sigmoid,
  standardise,
} from "../../convex/ml/logistic";
import { type FraudModelArtifact } from "../../convex/ml/artifact";
import { loadNetwork, networkAttributions, networkLogits } from "../../convex/ml/network";
import { modelOutputs, scoreFeatureVectors } from "../../convex/ml/scorer";
import { artifactVersion, readArtifact, writeArtifact } from "./artifact";
import { loadDataset } from "./dataset";
import { meanLogLikelihood, trainLogistic } from "./logistic";
import { DEFAULT_NEURAL_OPTIONS, exportNetwork, trainNetwork } from "./neural";
import { applyScaler, chooseThresholds, fitEnsemble, fitScaler, selectRows } from "./pipeline";

// A small model trained on the committed sample (4.8 k payments), enough to exercise every path.
let artifact: FraudModelArtifact;
let raw: Float64Array[];

beforeAll(async () => {
  const { data } = await loadDataset("data/sample.csv", () => {});
  const n = data.table.length;
  const d = FEATURE_COUNT;
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const x = selectRows(
    data.features,
    rows,
    FEATURE_NAMES.map((_, j) => j),
  );
  const scaler = fitScaler(x, n, d);
  const z = applyScaler(x, n, d, scaler);
  const y = data.table.fraud;
  const lr = trainLogistic(z, n, d, y, { numSteps: 60, meanLearningRate: 4 });
  const nn = await trainNetwork(z, n, d, y, {
    ...DEFAULT_NEURAL_OPTIONS,
    hidden: [8],
    epochs: 2,
    negativeRate: 0.5,
  });
  const zRows = Array.from({ length: n }, (_, i) => z.subarray(i * d, (i + 1) * d));
  const pLr = logisticProbabilities({ logistic: lr.model }, zRows);
  const pNn = networkLogits(nn.model, zRows).map(sigmoid);
  const ensemble = fitEnsemble(pLr, pNn, y);
  const pEns = pLr.map((p, i) => combineProbabilities(ensemble, p, pNn[i]));
  const content = {
    format: "fraud-model/v1" as const,
    features: [...FEATURE_NAMES],
    scaler,
    logistic: lr.model,
    network: await exportNetwork(nn.model, [8]),
    ensemble,
    thresholds: chooseThresholds(pEns, y, 0.02, 0.5),
    training: { test: true },
    metrics: {},
  };
  artifact = { ...content, version: artifactVersion(content) };
  raw = Array.from({ length: 300 }, (_, i) => data.features.slice(i * d, (i + 1) * d));
}, 60_000);

describe("model artifact round trip", () => {
  test("save, load: same artifact, same version, same predictions", async () => {
    const dir = mkdtempSync(join(tmpdir(), "model-"));
    const path = writeArtifact(dir, artifact);
    const back = readArtifact(dir);
    expect(back).toEqual(artifact);
    const before = await scoreFeatureVectors(artifact, raw);
    const after = await scoreFeatureVectors(back, raw);
    expect(after).toEqual(before);
    // A network loaded afresh from the file's JSON gives the same logits.
    const fresh = await loadNetwork(back.network);
    const cached = await loadNetwork(artifact.network);
    const z = raw.slice(0, 50).map((r) => standardise(back, r));
    expect(networkLogits(fresh, z)).toEqual(networkLogits(cached, z));
    // Tampering is detected by the content hash.
    const tampered = JSON.parse(readFileSync(path, "utf8")) as FraudModelArtifact;
    tampered.ensemble.intercept += 1;
    writeFileSync(path, JSON.stringify(tampered));
    expect(() => readArtifact(dir)).toThrow(/does not match its content/);
  });

  test("one payment end to end equals the batch path exactly", async () => {
    const batch = await scoreFeatureVectors(artifact, raw);
    for (const i of [0, 1, 17, 123, 299]) {
      const outputs = await modelOutputs(artifact, raw[i]);
      const one = assess(
        artifact,
        { timestamp: 0, amount: raw[i][0], currency: "USD" },
        raw[i],
        outputs,
      );
      expect(one.probability).toBe(batch.probability[i]);
      expect(outputs.logistic.probability).toBe(batch.logistic[i]);
      expect(outputs.neural.probability).toBe(batch.neural[i]);
      expect(one.score).toBe(scoreFromProbability(one.probability));
      expect(one.decision).toBe(decide(artifact.thresholds, one.probability));
      expect(one.modelVersion).toBe(artifact.version);
    }
  });

  test("the library's logistic scores are sigmoid(w . [z, 1]); contributions add up to the logit", () => {
    const w = logisticWeights(artifact);
    for (const r of raw.slice(0, 20)) {
      const z = standardise(artifact, r);
      const p = logisticProbabilities(artifact, [z])[0];
      const contributions = logisticContributions(artifact, z);
      const sum = contributions.reduce((s, c) => s + c.contribution, 0) + w[w.length - 1];
      expect(sigmoid(sum)).toBeCloseTo(p, 12);
      expect(logit(p)).toBeCloseTo(sum, 6);
    }
  });

  test("integrated gradients add up to logit(x) - logit(baseline)", async () => {
    const net = await loadNetwork(artifact.network);
    for (const r of raw.slice(0, 5)) {
      const z = standardise(artifact, r);
      const attributions = await networkAttributions(artifact, z);
      expect(attributions.map((a) => a.feature)).toEqual([...FEATURE_NAMES]);
      const [fx, f0] = networkLogits(net, [z, new Float64Array(z.length)]);
      const total = attributions.reduce((s, a) => s + a.attribution, 0);
      expect(Math.abs(total - (fx - f0))).toBeLessThan(0.05 * Math.max(1, Math.abs(fx - f0)));
    }
  });

  test("logistic training converges to the likelihood optimum", () => {
    const n = 2000;
    const d = 3;
    const x = new Float64Array(n * d);
    const y = new Uint8Array(n);
    let s = 1;
    const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
    for (let i = 0; i < n; i++) {
      x[i * d] = rnd();
      x[i * d + 1] = x[i * d] * 0.9 + rnd() * 0.1; // strongly correlated
      x[i * d + 2] = rnd();
      y[i] = rnd() < Math.tanh(2 * x[i * d] - x[i * d + 2]) ? 1 : 0;
    }
    const r = trainLogistic(x, n, d, y, { numSteps: 150, meanLearningRate: 8 });
    expect(r.newtonLogLikelihood - r.logLikelihood).toBeLessThan(1e-3);
    expect(meanLogLikelihood(x, n, d, y, r.weights)).toBeCloseTo(r.logLikelihood, 12);
    expect(r.model.classifiers[1].weights?.[0]).toEqual(r.weights.map((v) => -v));
  });
});

describe("decisions", () => {
  test("thresholds map probabilities to allow / review / block and 0-100 scores", () => {
    const t = { review: 0.1, block: 0.8 };
    expect(decide(t, 0.0999)).toBe("allow");
    expect(decide(t, 0.1)).toBe("review");
    expect(decide(t, 0.7999)).toBe("review");
    expect(decide(t, 0.8)).toBe("block");
    expect(scoreFromProbability(0)).toBe(0);
    expect(scoreFromProbability(0.424)).toBe(42);
    expect(scoreFromProbability(1)).toBe(100);
  });

  test("chooseThresholds hits the review rate and block precision on its data", () => {
    const p = Array.from({ length: 1000 }, (_, i) => i / 1000);
    const y = p.map((v, i) => (v > 0.95 || (v > 0.9 && i % 2 === 0) ? 1 : 0));
    const t = chooseThresholds(p, y, 0.1, 0.9);
    expect(t.validation.flaggedRate).toBeCloseTo(0.1, 3);
    expect(t.validation.blockPrecision).toBeGreaterThanOrEqual(0.9);
    expect(t.block).toBeGreaterThanOrEqual(t.review);
  });
});
