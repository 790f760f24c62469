/**
 * `npm run train -- [--data FILE.csv] [--train-start 2018-07-25] [--out models/]
 *   [--hidden 64,32] [--epochs 30] [--seed 42] [--negative-rate 0.5] [--learning-rate 0.001]`
 *
 * Trains the production models with the pipeline of scripts/ml/pipeline.ts (validation shift,
 * stacked ensemble, thresholds) and writes `models/fraud-model.json`. The test window (from
 * --train-start + 14 days) is only measured, for the record in the artifact's `metrics`.
 * Without --data it reuses (or generates) the simulator's default dataset. Seeded, and the artifact
 * holds no timings: the same data and options give the same artifact, byte for byte (same version).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { FEATURE_NAMES } from "../convex/ml/features";
import { parseArgs } from "./ml/args";
import { timedLog } from "./ml/log";
import { artifactVersion, buildArtifact, writeArtifact } from "./ml/artifact";
import { resolveDataPath, loadDataset } from "./ml/dataset";
import {
  assess,
  DEFAULT_LOGISTIC_OPTIONS,
  handbookLogisticProbabilities,
  runPipeline,
} from "./ml/pipeline";
import { addDays, HANDBOOK_TRAIN_START } from "./ml/protocol";
import { assessArtifact, NEURAL_ARG_DEFAULTS, neuralOptionsFrom } from "./ml/cli";

async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), {
    data: "",
    "train-start": HANDBOOK_TRAIN_START,
    out: "models",
    ...NEURAL_ARG_DEFAULTS,
  });
  const t0 = performance.now();
  const log = timedLog("train");
  const dataPath = await resolveDataPath(args.str("data"), log);
  const { data } = await loadDataset(dataPath, log);
  const trainStart = args.str("train-start");
  const neural = neuralOptionsFrom(args);
  const result = await runPipeline(data, trainStart, neural, log);

  let frauds = 0;
  for (let i = 0; i < data.table.length; i++) frauds += data.table.fraud[i];
  const training = {
    dataset: {
      path: dataPath,
      rows: data.table.length,
      frauds,
      sha256: await sha256File(dataPath),
    },
    trainStart,
    trainEnd: addDays(trainStart, 7),
    train: result.trainSummary,
    validation: {
      method:
        "handbook validation shift: models trained on the 7 days from trainStart - 14 days, validated on the 7 days from trainStart (known-compromised cards removed)",
      train: result.validationTrainSummary,
      validate: result.validationSummary,
    },
    test: result.testSummary,
    hiddenUnits: neural.hidden,
    neural: { ...neural, bestEpoch: result.final.bestEpoch },
    logistic: {
      ...DEFAULT_LOGISTIC_OPTIONS,
      library: "ml-logistic-regression 2.0.0",
      meanLogLikelihood: result.final.logisticLogLikelihood,
      newtonOptimum: result.final.newtonLogLikelihood,
    },
    imbalance:
      "network: all frauds plus a fresh seeded sample of negativeRate of the legitimate payments each epoch; logistic regression: unweighted maximum likelihood; both recalibrated by the stacked ensemble on validation data",
    featureCount: FEATURE_NAMES.length,
  };
  const draft = await buildArtifact(result, training, {});
  log("scoring the test window with the artifact (measurement only)");
  const test = await assessArtifact(data, draft, result.split.test);
  const handbook15 = assess(
    data.table,
    result.split.test,
    handbookLogisticProbabilities(data, result.handbookLogistic, result.split.test),
  );
  const metrics = {
    protocol:
      "Fraud Detection Handbook: 7-day train, 7-day delay, 7-day test, known-compromised cards removed; AUC ROC, AP, CP@100",
    validation: result.validationMetrics,
    test: { ...test, logisticHandbook15: handbook15 },
  };
  const artifact = await buildArtifact(result, training, metrics);
  if (artifact.version !== artifactVersion(artifact)) throw new Error("version mismatch");
  const path = writeArtifact(args.str("out"), artifact);
  result.final.network.dispose();
  log(`wrote ${path} (version ${artifact.version})`);
  console.log(
    JSON.stringify({
      version: artifact.version,
      ensemble: artifact.ensemble,
      thresholds: artifact.thresholds,
      test: metrics.test,
      seconds: {
        validationStage: result.seconds.validationStage,
        finalStage: result.seconds.finalStage,
        total: (performance.now() - t0) / 1000,
      },
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
