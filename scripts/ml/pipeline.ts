/**
 * The training pipeline shared by `npm run train` and `npm run evaluate`.
 *
 * For a training start S (the handbook's 2018-07-25):
 * 1. Validation stage (the handbook's validation shift, chapter 5): train both models on the 7 days
 *    from S - 14 days, and validate on the handbook's "test" of that split, i.e. the 7 days from S
 *    with its known-compromised cards removed. The test window (from S + 14 days) is never seen.
 *    There the network's best epoch is chosen, the stacked ensemble (Platt scaling on both models'
 *    logits) is fitted, and the decision thresholds are chosen.
 * 2. Final stage: train both models on the 7 days from S (the handbook's training set), keep the
 *    ensemble and thresholds from stage 1.
 * The logistic regression on the 15 handbook features alone is trained on the same 7 days as the
 * faithfulness baseline.
 */
import type * as tf from "@tensorflow/tfjs";
import { FEATURE_COUNT, FEATURE_NAMES, HANDBOOK_FEATURES } from "../../convex/ml/features";
import { combineProbabilities, scoreFromProbability } from "../../convex/ml/decision";
import {
  logisticProbabilities,
  logit,
  sigmoid,
  type LogisticRegressionJson,
} from "../../convex/ml/logistic";
import { type DecisionThresholds, type EnsembleParameters } from "../../convex/ml/artifact";
import { networkLogits } from "../../convex/ml/network";
import { trainLogistic, newtonLogistic, type LogisticTrainOptions } from "./logistic";
import { aucRoc, averagePrecision, cardPrecisionTopK } from "./metrics";
import { trainNetwork, type NeuralTrainOptions } from "./neural";
import { addDays, getTrainTestSet, type TrainTestSplit } from "./protocol";
import type { TransactionTable } from "./csv";

export const DEFAULT_LOGISTIC_OPTIONS: LogisticTrainOptions = {
  numSteps: 150,
  meanLearningRate: 8,
};
export const TARGET_REVIEW_RATE = 0.01;
export const TARGET_BLOCK_PRECISION = 0.9;

export interface Dataset {
  table: TransactionTable;
  /** Row-major `length * FEATURE_COUNT`. */
  features: Float64Array;
}

export interface Scaler {
  means: number[];
  stds: number[];
}

export interface ModelMetrics {
  auc: number;
  ap: number;
  cpAt100: number;
}

/** Copies the chosen feature columns of the chosen rows (row-major rows.length × cols.length). */
export function selectRows(
  features: Float64Array,
  rows: ArrayLike<number>,
  cols: readonly number[],
): Float64Array {
  const d = cols.length;
  const out = new Float64Array(rows.length * d);
  for (let k = 0; k < rows.length; k++) {
    const base = rows[k] * FEATURE_COUNT;
    for (let j = 0; j < d; j++) out[k * d + j] = features[base + cols[j]];
  }
  return out;
}

/** Training-set mean and population standard deviation (1 where the column is constant). */
export function fitScaler(x: Float64Array, n: number, d: number): Scaler {
  const means = new Array<number>(d).fill(0);
  const stds = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) means[j] += x[i * d + j];
  for (let j = 0; j < d; j++) means[j] /= n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) stds[j] += (x[i * d + j] - means[j]) ** 2;
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(stds[j] / n);
    stds[j] = s > 0 ? s : 1;
  }
  return { means, stds };
}

/** `(x - mean) / std`, row-major, into a new array. */
export function applyScaler(x: Float64Array, n: number, d: number, s: Scaler): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) out[i * d + j] = (x[i * d + j] - s.means[j]) / s.stds[j];
  }
  return out;
}

function rowsOf(x: Float64Array, n: number, d: number): Float64Array[] {
  return Array.from({ length: n }, (_, i) => x.subarray(i * d, i * d + d));
}

function labelsOf(table: TransactionTable, rows: ArrayLike<number>): Uint8Array {
  return Uint8Array.from(Array.from(rows, (i) => table.fraud[i]));
}

/** AUC, AP and CP@100 of scores on the given rows (handbook definitions). */
export function assess(
  table: TransactionTable,
  rows: ArrayLike<number>,
  scores: ArrayLike<number>,
): ModelMetrics {
  const labels = labelsOf(table, rows);
  const cp = cardPrecisionTopK(
    {
      day: Array.from(rows, (i) => table.timeDays[i]),
      customer: Array.from(rows, (i) => table.customer[i]),
      score: scores,
      fraud: labels,
    },
    100,
  );
  return { auc: aucRoc(scores, labels), ap: averagePrecision(scores, labels), cpAt100: cp.mean };
}

/** Fits the stacked ensemble (`sigmoid(a·logit(pLR) + b·logit(pNN) + c)`) by maximum likelihood. */
export function fitEnsemble(
  pLogistic: ArrayLike<number>,
  pNeural: ArrayLike<number>,
  labels: ArrayLike<number>,
): EnsembleParameters {
  const n = labels.length;
  const x = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    x[i * 2] = logit(pLogistic[i]);
    x[i * 2 + 1] = logit(pNeural[i]);
  }
  const w = newtonLogistic(x, n, 2, labels, 50);
  return { kind: "stacked-platt", logistic: w[0], neural: w[1], intercept: w[2] };
}

/**
 * Thresholds on the calibrated probability: `review` so that a `targetReviewRate` share of payments
 * is flagged (review or block), `block` the lowest threshold whose precision is at least
 * `targetBlockPrecision` (among thresholds flagging at least 10 payments), never below `review`.
 */
export function chooseThresholds(
  probability: ArrayLike<number>,
  labels: ArrayLike<number>,
  targetReviewRate = TARGET_REVIEW_RATE,
  targetBlockPrecision = TARGET_BLOCK_PRECISION,
): DecisionThresholds {
  const n = probability.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => probability[b] - probability[a],
  );
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] ? 1 : 0;
  const k = Math.max(1, Math.min(n, Math.round(targetReviewRate * n)));
  const review = probability[idx[k - 1]];
  let block = 1;
  let tp = 0;
  for (let r = 0; r < n; r++) {
    tp += labels[idx[r]] ? 1 : 0;
    const p = probability[idx[r]];
    const lastOfTie = r + 1 === n || probability[idx[r + 1]] !== p;
    if (lastOfTie && r + 1 >= 10 && tp / (r + 1) >= targetBlockPrecision) block = p;
  }
  block = Math.max(block, review);
  let flagged = 0;
  let blocked = 0;
  let blockedTp = 0;
  let flaggedTp = 0;
  for (let i = 0; i < n; i++) {
    if (probability[i] >= review) {
      flagged++;
      flaggedTp += labels[i] ? 1 : 0;
    }
    if (probability[i] >= block) {
      blocked++;
      blockedTp += labels[i] ? 1 : 0;
    }
  }
  return {
    review,
    block,
    reviewScore: scoreFromProbability(review),
    blockScore: scoreFromProbability(block),
    targetReviewRate,
    targetBlockPrecision,
    validation: {
      flaggedRate: flagged / n,
      blockPrecision: blocked ? blockedTp / blocked : NaN,
      blockRecall: positives ? blockedTp / positives : NaN,
      reviewRecall: positives ? flaggedTp / positives : NaN,
    },
  };
}

export interface StageModels {
  scaler: Scaler;
  logistic: LogisticRegressionJson;
  logisticSeconds: number;
  logisticLogLikelihood: number;
  newtonLogLikelihood: number;
  network: tf.Sequential;
  networkSeconds: number;
  bestEpoch: number;
}

type Log = (message: string) => void;

/**
 * Trains scaler + logistic regression + network on the given rows with every feature; with
 * `validation` rows, the network keeps its epoch of best validation average precision.
 */
async function trainStage(
  data: Dataset,
  rows: Int32Array,
  neural: NeuralTrainOptions,
  logisticOptions: LogisticTrainOptions,
  log: Log,
  label: string,
  validation?: { rows: Int32Array },
): Promise<StageModels> {
  const cols = FEATURE_NAMES.map((_, j) => j);
  const d = cols.length;
  const n = rows.length;
  const raw = selectRows(data.features, rows, cols);
  const scaler = fitScaler(raw, n, d);
  const x = applyScaler(raw, n, d, scaler);
  const y = labelsOf(data.table, rows);
  log(`${label}: logistic regression on ${n} payments x ${d} features`);
  const lr = trainLogistic(x, n, d, y, logisticOptions);
  log(
    `${label}: logistic done in ${lr.seconds.toFixed(1)}s (mean log-lik ${lr.logLikelihood.toFixed(6)}, Newton optimum ${lr.newtonLogLikelihood.toFixed(6)})`,
  );
  let valX: Float64Array[] | null = null;
  let valY: Uint8Array | null = null;
  if (validation) {
    const vr = selectRows(data.features, validation.rows, cols);
    valX = rowsOf(applyScaler(vr, validation.rows.length, d, scaler), validation.rows.length, d);
    valY = labelsOf(data.table, validation.rows);
  }
  const t0 = performance.now();
  const trained = await trainNetwork(x, n, d, y, neural, (model, report) => {
    let v: number | undefined;
    if (valX && valY) v = averagePrecision(networkLogits(model, valX), valY);
    log(
      `${label}: network epoch ${report.epoch}/${neural.epochs} loss ${report.loss.toFixed(4)} (${report.seconds.toFixed(1)}s)${v === undefined ? "" : ` validation AP ${v.toFixed(4)}`}`,
    );
    return v;
  });
  return {
    scaler,
    logistic: lr.model,
    logisticSeconds: lr.seconds,
    logisticLogLikelihood: lr.logLikelihood,
    newtonLogLikelihood: lr.newtonLogLikelihood,
    network: trained.model,
    networkSeconds: (performance.now() - t0) / 1000,
    bestEpoch: validation ? trained.bestEpoch : neural.epochs,
  };
}

/** Both models' probabilities for rows (raw features are standardised with the stage's scaler). */
export function stageProbabilities(
  data: Dataset,
  stage: Pick<StageModels, "scaler" | "logistic" | "network">,
  rows: ArrayLike<number>,
): { logistic: number[]; neural: number[] } {
  const cols = FEATURE_NAMES.map((_, j) => j);
  const d = cols.length;
  const x = rowsOf(
    applyScaler(selectRows(data.features, rows, cols), rows.length, d, stage.scaler),
    rows.length,
    d,
  );
  const logistic = logisticProbabilities({ logistic: stage.logistic }, x);
  const neural: number[] = [];
  for (let i = 0; i < x.length; i += 8192) {
    for (const z of networkLogits(stage.network, x.slice(i, i + 8192))) neural.push(sigmoid(z));
  }
  return { logistic, neural };
}

export interface SplitSummary {
  transactions: number;
  frauds: number;
  start: string;
  days: number;
}

function summarise(
  table: TransactionTable,
  rows: Int32Array,
  start: string,
  days: number,
): SplitSummary {
  let frauds = 0;
  for (const i of rows) frauds += table.fraud[i];
  return { transactions: rows.length, frauds, start, days };
}

export interface PipelineResult {
  split: TrainTestSplit;
  trainSummary: SplitSummary;
  testSummary: SplitSummary;
  validationTrainSummary: SplitSummary;
  validationSummary: SplitSummary;
  final: StageModels;
  ensemble: EnsembleParameters;
  thresholds: DecisionThresholds;
  validationMetrics: { logistic: ModelMetrics; neural: ModelMetrics; ensemble: ModelMetrics };
  handbookLogistic: {
    scaler: Scaler;
    logistic: LogisticRegressionJson;
    seconds: number;
    logLikelihood: number;
    newtonLogLikelihood: number;
  };
  seconds: { validationStage: number; finalStage: number; handbookLogistic: number };
}

export interface ValidationOutcome {
  bestEpoch: number;
  ensemble: EnsembleParameters;
  /** Labels and calibrated (ensemble) probabilities of the validation rows. */
  labels: Uint8Array;
  probability: number[];
  metrics: { logistic: ModelMetrics; neural: ModelMetrics; ensemble: ModelMetrics };
}

/**
 * The validation stage of a split: trains both models on `split.train`, keeps the network's epoch
 * of best average precision on `split.test` and fits the stacked ensemble there. The epoch and
 * the ensemble are chosen on the rows the metrics are measured on, so the metrics are slightly
 * optimistic next to a test week's.
 */
export async function validationStage(
  data: Dataset,
  split: TrainTestSplit,
  neural: NeuralTrainOptions,
  logisticOptions: LogisticTrainOptions,
  log: Log,
  label = "validation stage",
): Promise<ValidationOutcome> {
  const stage = await trainStage(data, split.train, neural, logisticOptions, log, label, {
    rows: split.test,
  });
  const p = stageProbabilities(data, stage, split.test);
  stage.network.dispose();
  const labels = labelsOf(data.table, split.test);
  const ensemble = fitEnsemble(p.logistic, p.neural, labels);
  const probability = p.logistic.map((pl, i) => combineProbabilities(ensemble, pl, p.neural[i]));
  return {
    bestEpoch: stage.bestEpoch,
    ensemble,
    labels,
    probability,
    metrics: {
      logistic: assess(data.table, split.test, p.logistic),
      neural: assess(data.table, split.test, p.neural),
      ensemble: assess(data.table, split.test, probability),
    },
  };
}

/** Runs both stages and the handbook baseline (see the module comment). */
export async function runPipeline(
  data: Dataset,
  trainStart: string,
  neural: NeuralTrainOptions,
  log: Log,
  logisticOptions: LogisticTrainOptions = DEFAULT_LOGISTIC_OPTIONS,
): Promise<PipelineResult> {
  const split = getTrainTestSet(data.table, trainStart);
  const validationStart = addDays(trainStart, -14);
  const vsplit = getTrainTestSet(data.table, validationStart);
  if (split.train.length === 0 || split.test.length === 0 || vsplit.train.length === 0) {
    throw new Error(`not enough data around ${trainStart} for the train/validation/test windows`);
  }
  const trainSummary = summarise(data.table, split.train, trainStart, 7);
  const testSummary = summarise(data.table, split.test, addDays(trainStart, 14), 7);
  const validationTrainSummary = summarise(data.table, vsplit.train, validationStart, 7);
  const validationSummary = summarise(data.table, vsplit.test, trainStart, 7);
  log(
    `split: train ${trainSummary.transactions} (${trainSummary.frauds} frauds), test ${testSummary.transactions} (${testSummary.frauds} frauds); validation stage: train ${validationTrainSummary.transactions} from ${validationStart}, validate ${validationSummary.transactions} (${validationSummary.frauds} frauds)`,
  );

  let t0 = performance.now();
  const validation = await validationStage(data, vsplit, neural, logisticOptions, log);
  const { ensemble, metrics: validationMetrics } = validation;
  const thresholds = chooseThresholds(validation.probability, validation.labels);
  const validationSeconds = (performance.now() - t0) / 1000;
  log(
    `validation: ensemble ${JSON.stringify(ensemble)}; AP logistic ${validationMetrics.logistic.ap.toFixed(4)}, neural ${validationMetrics.neural.ap.toFixed(4)}, ensemble ${validationMetrics.ensemble.ap.toFixed(4)}; best epoch ${validation.bestEpoch}`,
  );

  t0 = performance.now();
  const final = await trainStage(
    data,
    split.train,
    { ...neural, epochs: validation.bestEpoch },
    logisticOptions,
    log,
    "final stage",
  );
  const finalSeconds = (performance.now() - t0) / 1000;

  t0 = performance.now();
  const hbCols = HANDBOOK_FEATURES.map((_, j) => j);
  const hbRaw = selectRows(data.features, split.train, hbCols);
  const hbScaler = fitScaler(hbRaw, split.train.length, hbCols.length);
  const hb = trainLogistic(
    applyScaler(hbRaw, split.train.length, hbCols.length, hbScaler),
    split.train.length,
    hbCols.length,
    labelsOf(data.table, split.train),
    logisticOptions,
  );
  log(`handbook baseline: logistic regression on the 15 features in ${hb.seconds.toFixed(1)}s`);
  return {
    split,
    trainSummary,
    testSummary,
    validationTrainSummary,
    validationSummary,
    final,
    ensemble,
    thresholds,
    validationMetrics,
    handbookLogistic: {
      scaler: hbScaler,
      logistic: hb.model,
      seconds: hb.seconds,
      logLikelihood: hb.logLikelihood,
      newtonLogLikelihood: hb.newtonLogLikelihood,
    },
    seconds: {
      validationStage: validationSeconds,
      finalStage: finalSeconds,
      handbookLogistic: (performance.now() - t0) / 1000,
    },
  };
}

/** Test-window probabilities of the handbook baseline (15 features). */
export function handbookLogisticProbabilities(
  data: Dataset,
  baseline: { scaler: Scaler; logistic: LogisticRegressionJson },
  rows: ArrayLike<number>,
): number[] {
  const cols = HANDBOOK_FEATURES.map((_, j) => j);
  const d = cols.length;
  const x = applyScaler(selectRows(data.features, rows, cols), rows.length, d, baseline.scaler);
  return logisticProbabilities({ logistic: baseline.logistic }, rowsOf(x, rows.length, d));
}
