/**
 * Rolling validation before the test window (the handbook's prequential validation, chapter 5):
 * the k-th fold from the end trains on the 7 days from `trainStart - 14 - 7k` and validates on
 * the handbook's test week of that split (7 days from `trainStart - 7k`, known-compromised cards
 * removed). The last fold (k = 0) is exactly the training pipeline's validation stage; no fold
 * sees a day of the test window (from `trainStart + 14`).
 */
import { cpAt100Ceiling } from "./ceiling";
import type { NeuralTrainOptions } from "./neural";
import {
  DEFAULT_LOGISTIC_OPTIONS,
  validationStage,
  type Dataset,
  type ModelMetrics,
} from "./pipeline";
import { addDays, getTrainTestSet } from "./protocol";

/** Training starts of `count` folds, oldest first, for a pipeline trained from `trainStart`. */
export function foldTrainStarts(trainStart: string, count: number): string[] {
  return Array.from({ length: count }, (_, k) => addDays(trainStart, -14 - 7 * (count - 1 - k)));
}

export interface FoldResult {
  trainStart: string;
  validationStart: string;
  payments: number;
  frauds: number;
  bestEpoch: number;
  logistic: ModelMetrics;
  neural: ModelMetrics;
  /** Stacked ensemble fitted on the fold's own validation week, as the pipeline does. */
  ensemble: ModelMetrics;
  /** CP@100 within reach on the validation week (null without fraud scenarios in the data). */
  cpAt100Ceiling: number | null;
}

/**
 * Runs the pipeline's validation stage on one fold. Like the pipeline, it picks the network's
 * epoch and fits the ensemble on the week it measures, so the figures are slightly optimistic.
 */
export async function validateFold(
  data: Dataset,
  trainStart: string,
  neural: NeuralTrainOptions,
  log: (message: string) => void,
): Promise<FoldResult> {
  const split = getTrainTestSet(data.table, trainStart);
  if (split.train.length === 0 || split.test.length === 0) {
    throw new Error(`no data for the fold that trains from ${trainStart}`);
  }
  const validationStart = addDays(trainStart, 14);
  const v = await validationStage(
    data,
    split,
    neural,
    DEFAULT_LOGISTIC_OPTIONS,
    log,
    `fold validating ${validationStart}`,
  );
  let frauds = 0;
  for (const y of v.labels) frauds += y;
  return {
    trainStart,
    validationStart,
    payments: split.test.length,
    frauds,
    bestEpoch: v.bestEpoch,
    ...v.metrics,
    cpAt100Ceiling: cpAt100Ceiling(data, split.test),
  };
}
