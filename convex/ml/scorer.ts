"use node";
/**
 * Scoring end to end, shared by the online scoring action, the offline evaluation and the
 * benchmarks: the features, both models (logistic regression through `ml-logistic-regression`,
 * the network through TF.js), then the decision. Node only, because of TF.js.
 */
import type { FraudModelArtifact } from "./artifact";
import { assess, combineProbabilities, type Assessment, type ModelOutputs } from "./decision";
import { computeFeatures, type Payment } from "./features";
import { logisticContributions, logisticProbabilities, standardise } from "./logistic";
import {
  NETWORK_ATTRIBUTION_METHOD,
  networkAttributions,
  predictNetwork,
  predictNetworkBatch,
} from "./network";
import type { CustomerWindowStats, TerminalWindowStats } from "./statistics";

/** Both models' outputs for one raw feature vector (in `artifact.features` order). */
export async function modelOutputs(
  artifact: FraudModelArtifact,
  raw: ArrayLike<number>,
): Promise<ModelOutputs> {
  const z = standardise(artifact, raw);
  return {
    logistic: {
      probability: logisticProbabilities(artifact, [z])[0],
      contributions: logisticContributions(artifact, z),
    },
    neural: {
      probability: await predictNetwork(artifact, z),
      attributionMethod: NETWORK_ATTRIBUTION_METHOD,
      attributions: await networkAttributions(artifact, z),
    },
  };
}

/** What scoring a payment needs: the payment and its window statistics. */
export interface ScoringInput {
  payment: Payment & { currency: string };
  customer: readonly CustomerWindowStats[];
  terminal: readonly TerminalWindowStats[];
}

/** Scores one payment from its window statistics: features, both models, the decision. */
export async function assessPayment(
  artifact: FraudModelArtifact,
  input: ScoringInput,
): Promise<Assessment> {
  const vector = computeFeatures(input.payment, input.customer, input.terminal);
  return assess(artifact, input.payment, vector, await modelOutputs(artifact, vector));
}

/** Probabilities only, for many raw feature vectors (the offline evaluation's path). */
export async function scoreFeatureVectors(
  artifact: FraudModelArtifact,
  rawRows: readonly ArrayLike<number>[],
): Promise<{ logistic: number[]; neural: number[]; probability: number[] }> {
  const z = rawRows.map((r) => standardise(artifact, r));
  const logistic = logisticProbabilities(artifact, z);
  const neural = await predictNetworkBatch(artifact, z);
  const probability = logistic.map((p, i) => combineProbabilities(artifact.ensemble, p, neural[i]));
  return { logistic, neural, probability };
}
