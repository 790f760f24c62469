/**
 * Rolling validation before the test window (the handbook's prequential validation, chapter 5):
 * fold j trains on the 7 days from `trainStart - 14 - 7j` and validates on the handbook's test
 * week of that split (7 days from `trainStart - 7j`, known-compromised cards removed). Fold 0 is
 * exactly the training pipeline's validation stage; no fold sees a day of the test window.
 */
import type { NeuralTrainOptions } from "./neural";
import { combineProbabilities } from "../../convex/fraud/model";
import { cpAt100Ceiling } from "./ceiling";
import {
  assess,
  DEFAULT_LOGISTIC_OPTIONS,
  fitEnsemble,
  stageProbabilities,
  trainStage,
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

/** Trains the production configuration on one fold and measures it on its validation week. */
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
  const stage = await trainStage(
    data,
    split.train,
    neural,
    DEFAULT_LOGISTIC_OPTIONS,
    log,
    `fold validating ${addDays(trainStart, 14)}`,
    { rows: split.test },
  );
  const p = stageProbabilities(data, stage, split.test);
  stage.network.dispose();
  const labels = Uint8Array.from(split.test, (i) => data.table.fraud[i]);
  const ensemble = fitEnsemble(p.logistic, p.neural, labels);
  const combined = p.logistic.map((pl, i) => combineProbabilities(ensemble, pl, p.neural[i]));
  let frauds = 0;
  for (const y of labels) frauds += y;
  return {
    trainStart,
    validationStart: addDays(trainStart, 14),
    payments: split.test.length,
    frauds,
    bestEpoch: stage.bestEpoch,
    logistic: assess(data.table, split.test, p.logistic),
    neural: assess(data.table, split.test, p.neural),
    ensemble: assess(data.table, split.test, combined),
    cpAt100Ceiling: cpAt100Ceiling(data, split.test),
  };
}
