/**
 * `npm run validate -- [--data FILE.csv] [--train-start 2018-07-25] [--folds 4] [--json OUT.json]
 *   [--hidden 64,32 --epochs 30 --seed 42 --negative-rate 1 --learning-rate 0.002]`
 *
 * Model selection without the test window: trains the production configuration (or the given
 * network options) on each rolling fold before the test window (scripts/ml/folds.ts) and prints
 * AP and CP@100 per fold beside the CP@100 within reach, then their means. One validation week
 * has about 400 frauds and 200 compromised cards, so compare options on the mean over folds.
 * As in the pipeline, each fold picks the network's epoch and fits the ensemble on the week it
 * measures: the figures are slightly optimistic next to a test week's.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "./ml/args";
import { timedLog } from "./ml/log";
import { NEURAL_ARG_DEFAULTS, neuralOptionsFrom } from "./ml/cli";
import { resolveDataPath, loadDataset } from "./ml/dataset";
import { foldTrainStarts, validateFold, type FoldResult } from "./ml/folds";
import { HANDBOOK_TRAIN_START } from "./ml/protocol";
import { markdownTable } from "./ml/report";

const METRICS: [string, (r: FoldResult) => number][] = [
  ["AP LR", (r) => r.logistic.ap],
  ["AP NN", (r) => r.neural.ap],
  ["AP ens", (r) => r.ensemble.ap],
  ["CP LR", (r) => r.logistic.cpAt100],
  ["CP NN", (r) => r.neural.cpAt100],
  ["CP ens", (r) => r.ensemble.cpAt100],
  ["CP within reach", (r) => r.cpAt100Ceiling ?? NaN],
];

/** One row per fold and a row of means (also valid Markdown). */
function formatFolds(folds: FoldResult[]): string {
  const mean = (f: (r: FoldResult) => number) => folds.reduce((s, r) => s + f(r), 0) / folds.length;
  const fmt = (v: number) => (Number.isNaN(v) ? "n/a" : v.toFixed(4));
  const rows = [
    ["validation week", "payments", "frauds", "epoch", ...METRICS.map(([name]) => name)],
    ...folds.map((r) => [
      r.validationStart,
      String(r.payments),
      String(r.frauds),
      String(r.bestEpoch),
      ...METRICS.map(([, f]) => fmt(f(r))),
    ]),
    ["mean", "", "", "", ...METRICS.map(([, f]) => fmt(mean(f)))],
  ];
  return markdownTable(rows);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), {
    data: "",
    "train-start": HANDBOOK_TRAIN_START,
    folds: "4",
    json: "",
    ...NEURAL_ARG_DEFAULTS,
  });
  if (args.int("folds") < 1) throw new Error("--folds must be at least 1");
  const log = timedLog("validate");
  const dataPath = await resolveDataPath(args.str("data"), log);
  const { data } = await loadDataset(dataPath, log);
  const neural = neuralOptionsFrom(args);
  const folds: FoldResult[] = [];
  for (const start of foldTrainStarts(args.str("train-start"), args.int("folds"))) {
    const r = await validateFold(data, start, neural, log);
    log(
      `fold ${r.validationStart}: AP ${r.ensemble.ap.toFixed(4)}, CP@100 ${r.ensemble.cpAt100.toFixed(4)} (within reach ${r.cpAt100Ceiling?.toFixed(4) ?? "n/a"})`,
    );
    folds.push(r);
  }
  console.log(`\nRolling validation before the test window, network ${JSON.stringify(neural)}\n`);
  console.log(formatFolds(folds));
  if (args.str("json")) {
    writeFileSync(args.str("json"), JSON.stringify({ neural, folds }, null, 2) + "\n");
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
