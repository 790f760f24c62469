"use node";
import artifactJson from "../../models/fraud-model.json";
import type { LogisticRegressionJson } from "./logistic";

/**
 * The fraud model artifact (`models/fraud-model.json`): what training writes and scoring reads.
 */

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

/**
 * The committed model, typed. JSON imports are typed by their literal content, which is far
 * too precise (and slow to check), so this is the one place that casts it.
 */
export const committedArtifact = artifactJson as unknown as FraudModelArtifact;
