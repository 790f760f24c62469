/** Helpers shared by scripts/train.ts and scripts/evaluate.ts. */
import { FEATURE_COUNT } from "../../convex/ml/features";
import type { FraudModelArtifact } from "../../convex/ml/artifact";
import { scoreFeatureVectors } from "../../convex/ml/scorer";
import type { parseArgs } from "./args";
import { DEFAULT_NEURAL_OPTIONS, type NeuralTrainOptions } from "./neural";
import { assess, type Dataset, type ModelMetrics } from "./pipeline";

/** Neural options from the command line (shared with train.ts). */
export function neuralOptionsFrom(args: ReturnType<typeof parseArgs>): NeuralTrainOptions {
  return {
    ...DEFAULT_NEURAL_OPTIONS,
    hidden: args
      .str("hidden")
      .split(",")
      .map((s) => Number(s)),
    epochs: args.int("epochs"),
    seed: args.int("seed"),
    negativeRate: args.number("negative-rate"),
    learningRate: args.number("learning-rate"),
  };
}

export const NEURAL_ARG_DEFAULTS = {
  hidden: DEFAULT_NEURAL_OPTIONS.hidden.join(","),
  epochs: String(DEFAULT_NEURAL_OPTIONS.epochs),
  seed: String(DEFAULT_NEURAL_OPTIONS.seed),
  "negative-rate": String(DEFAULT_NEURAL_OPTIONS.negativeRate),
  "learning-rate": String(DEFAULT_NEURAL_OPTIONS.learningRate),
};

/** Test-window metrics of an artifact, scored through the production path. */
export async function assessArtifact(
  data: Dataset,
  artifact: FraudModelArtifact,
  rows: Int32Array,
): Promise<{ logistic: ModelMetrics; neural: ModelMetrics; ensemble: ModelMetrics }> {
  const raw = Array.from(rows, (i) =>
    data.features.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT),
  );
  const s = await scoreFeatureVectors(artifact, raw);
  return {
    logistic: assess(data.table, rows, s.logistic),
    neural: assess(data.table, rows, s.neural),
    ensemble: assess(data.table, rows, s.probability),
  };
}
