/**
 * Logistic regression inference through `ml-logistic-regression` (the library production really
 * runs), standardisation and the per-feature logistic contributions. Pure: safe in Convex's
 * default runtime and in scripts.
 */
import { Matrix } from "ml-matrix";
// @ts-expect-error ml-logistic-regression ships no type declarations; typed by LogisticRegressionStatic below.
import LogisticRegressionUntyped from "ml-logistic-regression";
import type { FraudModelArtifact } from "./artifact";

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
