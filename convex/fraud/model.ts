/**
 * The fraud model artifact and everything about it that needs no TF.js: standardisation, logistic
 * regression inference through `ml-logistic-regression` (the library production really runs), per
 * feature logistic contributions, the ensemble into one calibrated probability, the 0-100 score and
 * the allow / review / block decision. Pure: safe in Convex's default runtime.
 */
import { Matrix } from "ml-matrix";
// @ts-expect-error ml-logistic-regression ships no type declarations; typed by LogisticRegressionStatic below.
import LogisticRegressionUntyped from "ml-logistic-regression";

/** One two-class classifier of `ml-logistic-regression` (`LogisticRegressionTwoClasses`). */
export interface LogisticTwoClassClassifier {
  numSteps: number;
  learningRate: number;
  weights: Matrix | null;
  /** Plain batch gradient ascent from zero weights (`numSteps` steps of `learningRate`). */
  train(features: Matrix, target: Matrix): void;
  /** `sigmoid(features · weightsᵀ)` per row. */
  testScores(features: Matrix): number[];
  toJSON(): { numSteps: number; learningRate: number; weights: Matrix };
}

/** An `ml-logistic-regression` model instance (one-vs-all). */
export interface LogisticRegressionInstance {
  numSteps: number;
  learningRate: number;
  numberClasses: number;
  classifiers: LogisticTwoClassClassifier[];
  predict(features: Matrix): number[];
}

/** The saved form of an `ml-logistic-regression` model (`model.toJSON()`), weights as 1 × D rows. */
export interface LogisticRegressionJson {
  name: "LogisticRegression";
  numSteps: number;
  learningRate: number;
  numberClasses: number;
  classifiers: { numSteps: number; learningRate: number; weights: number[][] | null }[];
}

interface LogisticRegressionStatic {
  new (options?: { numSteps?: number; learningRate?: number }): LogisticRegressionInstance;
  load(model: LogisticRegressionJson): LogisticRegressionInstance;
}

/** The `ml-logistic-regression` class, typed. */
export const LogisticRegression = LogisticRegressionUntyped as LogisticRegressionStatic;

/** The saved TF.js network: Keras topology JSON plus weights, loadable from memory. */
export interface NetworkArtifact {
  /** `model.toJSON()`-style Keras `modelTopology`. */
  modelTopology: unknown;
  weightSpecs: { name: string; shape: number[]; dtype: "float32" }[];
  /** Little-endian float32 weights, concatenated in `weightSpecs` order, base64. */
  weightDataBase64: string;
  /** Hidden layer sizes, for documentation. */
  hiddenUnits: number[];
}

/** How the two models' probabilities become one calibrated probability. */
export interface EnsembleParameters {
  /**
   * Stacked Platt scaling: `p = sigmoid(logistic * logit(pLR) + neural * logit(pNN) + intercept)`,
   * fitted by maximum likelihood on validation data the test window never sees.
   */
  kind: "stacked-platt";
  logistic: number;
  neural: number;
  intercept: number;
}

/** The decision thresholds on the calibrated probability, and how they were chosen. */
export interface DecisionThresholds {
  /** `p >= review` and below `block`: review. */
  review: number;
  /** `p >= block`: block. */
  block: number;
  /** The same thresholds on the 0-100 score scale (`scoreFromProbability`). */
  reviewScore: number;
  blockScore: number;
  /** Target share of payments flagged (review or block) on validation data. */
  targetReviewRate: number;
  /** Target precision of `block` on validation data. */
  targetBlockPrecision: number;
  /** What the thresholds achieved on validation data. */
  validation: {
    flaggedRate: number;
    blockPrecision: number;
    blockRecall: number;
    reviewRecall: number;
  };
}

/** The committed model artifact (`models/fraud-model.json`). */
export interface FraudModelArtifact {
  format: "fraud-model/v1";
  /** Hash of the artifact's content (every field but this one). */
  version: string;
  /** Feature names, in the order of every vector below (a prefix-free copy of FEATURE_NAMES). */
  features: string[];
  /** Training-set mean and (population) standard deviation per feature. */
  scaler: { means: number[]; stds: number[] };
  /** `ml-logistic-regression` model over `[standardised features, 1]`; classifier 0 scores fraud. */
  logistic: LogisticRegressionJson;
  network: NetworkArtifact;
  ensemble: EnsembleParameters;
  thresholds: DecisionThresholds;
  /** Free-form provenance: data, windows, options, seeds, timings. */
  training: Record<string, unknown>;
  /** Metrics measured when the artifact was trained (validation and test windows). */
  metrics: Record<string, unknown>;
}

/** The three outcomes of scoring. */
export type Decision = "allow" | "review" | "block";

const EPS = 1e-7;

/** `log(p / (1 - p))` with p clamped to [1e-7, 1 - 1e-7]. */
export function logit(p: number): number {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
}

/** The logistic function. */
export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * Standardises a raw feature vector with the training statistics: `(x - mean) / std`.
 * Throws when the vector length does not match the artifact's feature list.
 */
export function standardise(
  artifact: Pick<FraudModelArtifact, "scaler" | "features">,
  raw: ArrayLike<number>,
): Float64Array {
  const { means, stds } = artifact.scaler;
  if (raw.length !== artifact.features.length) {
    throw new Error(`expected ${artifact.features.length} features, got ${raw.length}`);
  }
  const out = new Float64Array(raw.length);
  for (let j = 0; j < raw.length; j++) out[j] = (raw[j] - means[j]) / stds[j];
  return out;
}

const loadedLogistic = new WeakMap<LogisticRegressionJson, LogisticRegressionInstance>();

/** The artifact's logistic regression, loaded once per artifact object with `LogisticRegression.load`. */
export function loadLogistic(
  artifact: Pick<FraudModelArtifact, "logistic">,
): LogisticRegressionInstance {
  let m = loadedLogistic.get(artifact.logistic);
  if (!m) {
    // `LogisticRegression.load` writes class instances into the object it is given: load a copy.
    m = LogisticRegression.load(
      JSON.parse(JSON.stringify(artifact.logistic)) as LogisticRegressionJson,
    );
    loadedLogistic.set(artifact.logistic, m);
  }
  return m;
}

/** The logistic weights over the standardised features, bias last. */
export function logisticWeights(artifact: Pick<FraudModelArtifact, "logistic">): number[] {
  const w = artifact.logistic.classifiers[0]?.weights;
  if (!w || w.length !== 1) throw new Error("logistic model has no weights for classifier 0");
  return w[0];
}

/**
 * Fraud probabilities of the logistic regression for standardised rows, computed by the library
 * (`classifiers[0].testScores` on `[x, 1]`).
 */
export function logisticProbabilities(
  artifact: Pick<FraudModelArtifact, "logistic">,
  standardisedRows: readonly ArrayLike<number>[],
): number[] {
  if (standardisedRows.length === 0) return [];
  const design = new Matrix(standardisedRows.map((r) => [...Array.from(r), 1]));
  return loadLogistic(artifact).classifiers[0].testScores(design);
}

/** Per-feature logistic contribution to the log-odds: `coefficient * standardised value`. */
export function logisticContributions(
  artifact: Pick<FraudModelArtifact, "logistic" | "features">,
  standardised: ArrayLike<number>,
): { feature: string; contribution: number }[] {
  const w = logisticWeights(artifact);
  return artifact.features.map((feature, j) => ({
    feature,
    contribution: w[j] * standardised[j],
  }));
}

/** The ensemble: one calibrated fraud probability from the two models' probabilities. */
export function combineProbabilities(
  ensemble: EnsembleParameters,
  pLogistic: number,
  pNeural: number,
): number {
  return sigmoid(
    ensemble.logistic * logit(pLogistic) + ensemble.neural * logit(pNeural) + ensemble.intercept,
  );
}

/** The 0-100 score: the calibrated probability in percent, rounded to an integer. */
export function scoreFromProbability(p: number): number {
  return Math.round(100 * Math.min(1, Math.max(0, p)));
}

/** The decision for a calibrated probability, from the artifact's thresholds. */
export function decide(
  thresholds: Pick<DecisionThresholds, "review" | "block">,
  p: number,
): Decision {
  if (p >= thresholds.block) return "block";
  if (p >= thresholds.review) return "review";
  return "allow";
}
