"use node";
import type { FraudResult, RiskLevel } from "../model/validators";
import {
  computeFeatures,
  featureRecord,
  type CustomerWindowStats,
  type Payment,
  type TerminalWindowStats,
} from "./features";
import type { FraudModelArtifact } from "./model";
import { NETWORK_ATTRIBUTION_METHOD, scoreFeatureVector } from "./network";
import { topReasons } from "./reasons";

/** What scoring a payment needs: the payment and its window statistics. */
export type AssessmentInput = {
  payment: Payment & { currency: string; receivedAt: number };
  customer: CustomerWindowStats[];
  terminal: TerminalWindowStats[];
};

function riskLevel(artifact: FraudModelArtifact, probability: number): RiskLevel {
  if (probability >= artifact.thresholds.block) return "high";
  if (probability >= artifact.thresholds.review) return "medium";
  return "low";
}

/**
 * Scores one payment end to end, as the scheduled action does: the shared feature code,
 * both models through `scoreFeatureVector`, the decision, and the reasons (each feature's
 * share of the ensemble's log-odds, see `reasons.ts`).
 */
export async function assessPayment(
  artifact: FraudModelArtifact,
  input: AssessmentInput,
  now: () => number = Date.now,
): Promise<FraudResult> {
  const vector = computeFeatures(input.payment, input.customer, input.terminal);
  const result = await scoreFeatureVector(artifact, vector);
  const { logistic: a, neural: b } = artifact.ensemble;
  const attributions = new Map(result.neural.attributions.map((x) => [x.feature, x.attribution]));
  const contributions = result.logistic.contributions.map((c, j) => ({
    feature: c.feature,
    value: vector[j],
    contribution: a * c.contribution + b * (attributions.get(c.feature) ?? 0),
  }));
  const scoredAt = now();
  return {
    score: result.score,
    probability: result.probability,
    level: riskLevel(artifact, result.probability),
    decision: result.decision,
    reasons: topReasons(contributions, input.payment),
    attributionMethod: `logistic: coefficient x standardised value; network: ${NETWORK_ATTRIBUTION_METHOD}; combined with the ensemble weights`,
    models: {
      logistic: { probability: result.logistic.probability },
      neural: { probability: result.neural.probability },
    },
    features: featureRecord(vector),
    modelVersion: result.modelVersion,
    scoredAt,
    latencyMs: Math.max(0, scoredAt - input.payment.receivedAt),
  };
}
