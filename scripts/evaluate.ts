/**
 * `npm run evaluate -- [--data FILE.csv] [--train-start 2018-07-25] [--json OUT.json]
 *   [--features-out FEATURES.csv] [--models models/]`
 *
 * The handbook's protocol on any raw-schema CSV: features, 7-day training from --train-start,
 * 7-day delay, 7-day test with known-compromised cards removed, AUC ROC / AP / CP@100. Without
 * --models it trains everything (see scripts/ml/pipeline.ts) and scores the test window through the
 * same artifact code path production uses; with --models it scores with the committed artifact.
 * Without --data it reuses (or generates) the simulator's default dataset.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "./ml/args";
import { timedLog } from "./ml/log";
import { buildArtifact, readArtifact } from "./ml/artifact";
import { cpAt100Ceiling } from "./ml/ceiling";
import { resolveDataPath, loadDataset, writeHandbookFeatures } from "./ml/dataset";
import {
  assess,
  handbookLogisticProbabilities,
  runPipeline,
  type ModelMetrics,
} from "./ml/pipeline";
import { getTrainTestSet, HANDBOOK_TRAIN_START } from "./ml/protocol";
import { formatResultsTable, type TableRow } from "./ml/report";
import { assessArtifact, NEURAL_ARG_DEFAULTS, neuralOptionsFrom } from "./ml/cli";

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), {
    data: "",
    "train-start": HANDBOOK_TRAIN_START,
    json: "",
    "features-out": "",
    models: "",
    ...NEURAL_ARG_DEFAULTS,
  });
  const t0 = performance.now();
  const log = timedLog("evaluate");
  const dataPath = await resolveDataPath(args.str("data"), log);
  const { data, readSeconds, featureSeconds } = await loadDataset(dataPath, log);
  let featuresOutSeconds = 0;
  if (args.str("features-out")) {
    const t = performance.now();
    await writeHandbookFeatures(args.str("features-out"), data);
    featuresOutSeconds = (performance.now() - t) / 1000;
    log(`wrote the 15 handbook features to ${args.str("features-out")}`);
  }
  const trainStart = args.str("train-start");
  const split = getTrainTestSet(data.table, trainStart);
  const count = (rows: Int32Array) => {
    let f = 0;
    for (const i of rows) f += data.table.fraud[i];
    return { transactions: rows.length, frauds: f };
  };
  const rows: TableRow[] = [];
  const models: Record<string, ModelMetrics> = {};
  const seconds: Record<string, number> = { read: readSeconds, features: featureSeconds };
  if (featuresOutSeconds) seconds.featuresOut = featuresOutSeconds;
  let modelVersion: string;

  if (args.str("models")) {
    const artifact = readArtifact(args.str("models"));
    modelVersion = artifact.version;
    log(`scoring the test window with committed models ${artifact.version}`);
    const t = performance.now();
    const m = await assessArtifact(data, artifact, split.test);
    seconds.scoring = (performance.now() - t) / 1000;
    Object.assign(models, m);
    rows.push(
      {
        model: "ours: logistic regression (all features)",
        metrics: m.logistic,
        note: `committed ${artifact.version}`,
      },
      { model: "ours: neural network", metrics: m.neural, note: `committed ${artifact.version}` },
      {
        model: "ours: ensemble (production score)",
        metrics: m.ensemble,
        note: `committed ${artifact.version}`,
      },
    );
  } else {
    const neural = neuralOptionsFrom(args);
    const t = performance.now();
    const result = await runPipeline(data, trainStart, neural, log);
    seconds.training = (performance.now() - t) / 1000;
    const artifact = await buildArtifact(
      result,
      { trainStart, hiddenUnits: neural.hidden, neural },
      {},
    );
    modelVersion = artifact.version;
    const ts = performance.now();
    const m = await assessArtifact(data, artifact, split.test);
    const hb = assess(
      data.table,
      split.test,
      handbookLogisticProbabilities(data, result.handbookLogistic, split.test),
    );
    seconds.scoring = (performance.now() - ts) / 1000;
    Object.assign(models, m, { logisticHandbook15: hb });
    rows.push(
      {
        model: "ours: logistic regression, 15 handbook features",
        metrics: hb,
        note: "faithfulness check",
      },
      {
        model: "ours: logistic regression (all features)",
        metrics: m.logistic,
        note: "ensemble member",
      },
      { model: "ours: neural network", metrics: m.neural, note: "ensemble member" },
      { model: "ours: ensemble (production score)", metrics: m.ensemble, note: "calibrated" },
    );
  }
  seconds.total = (performance.now() - t0) / 1000;
  const ceiling = cpAt100Ceiling(data, split.test);
  console.log(
    `\nHandbook protocol: train ${trainStart} + 7 days (${split.train.length} payments), delay 7 days, test 7 days (${split.test.length} payments)\n`,
  );
  console.log(formatResultsTable(rows));
  if (ceiling !== null) {
    console.log(
      `\nCP@100 within reach on this test window: ${ceiling.toFixed(3)} (a perfect ranker of every fraud except those of compromised terminals whose first fraud is not known yet: about the first 7 days of each compromise)`,
    );
  }
  const out = {
    train: count(split.train),
    test: { ...count(split.test), ...(ceiling === null ? {} : { cpAt100Ceiling: ceiling }) },
    models,
    modelVersion,
    seconds,
  };
  console.log("\n" + JSON.stringify(out));
  if (args.str("json")) writeFileSync(args.str("json"), JSON.stringify(out, null, 2) + "\n");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
