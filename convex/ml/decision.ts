/**
 * The decision, in one module: the stacked ensemble of the two models' probabilities, the
 * 0-100 score, the thresholds' allow / review / block, and the reasons (each feature's share of
 * the ensemble's log-odds). Pure: the models' outputs come in (`scorer.ts` computes them), the
 * assessment a payment stores comes out.
 */
import { v, type Infer } from "convex/values";
import type { DecisionThresholds, EnsembleParameters, FraudModelArtifact } from "./artifact";
import { featureRecord, type Payment } from "./features";
import { logit, sigmoid } from "./logistic";
import { reason, topReasons } from "./reasons";

/** The three outcomes of scoring. */
export const decision = v.union(v.literal("allow"), v.literal("review"), v.literal("block"));
export type Decision = Infer<typeof decision>;

/** The risk level the API shows beside the decision; it maps one to one onto it. */
export const riskLevel = v.union(v.literal("low"), v.literal("medium"), v.literal("high"));
export type RiskLevel = Infer<typeof riskLevel>;

const LEVEL_BY_DECISION: Record<Decision, RiskLevel> = {
  allow: "low",
  review: "medium",
  block: "high",
};

/** The risk level of a decision (derived, never stored). */
export function riskLevelOf(d: Decision): RiskLevel {
  return LEVEL_BY_DECISION[d];
}

/** What the models say about one payment, and why. */
export const assessment = v.object({
  /** 0-100: the calibrated probability in percent. */
  score: v.number(),
  probability: v.number(),
  decision,
  reasons: v.array(reason),
  /** How the network's per-feature attributions were computed. */
  attributionMethod: v.string(),
  models: v.object({
    logistic: v.object({ probability: v.number() }),
    neural: v.object({ probability: v.number() }),
  }),
  /** The feature values the models saw, by name. */
  features: v.record(v.string(), v.number()),
  modelVersion: v.string(),
});
export type Assessment = Infer<typeof assessment>;

/** The outputs of both models for one standardised feature vector (see `scorer.ts`). */
export interface ModelOutputs {
  logistic: {
    probability: number;
    /** Coefficient x standardised value, per feature (log-odds). */
    contributions: { feature: string; contribution: number }[];
  };
  neural: {
    probability: number;
    /** How `attributions` were computed. */
    attributionMethod: string;
    attributions: { feature: string; attribution: number }[];
  };
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

/**
 * The assessment of one payment from its feature vector and both models' outputs. A feature's
 * contribution is `a * logistic_j + b * network_j`, with the ensemble's weights: the logistic
 * logit is exactly the sum of its contributions and the network's integrated gradients sum to
 * its logit (relative to the average payment), so the contributions add up to how far this
 * payment's log-odds sit from the average payment's.
 */
export function assess(
  artifact: FraudModelArtifact,
  payment: Payment & { currency: string },
  vector: ArrayLike<number>,
  outputs: ModelOutputs,
): Assessment {
  const probability = combineProbabilities(
    artifact.ensemble,
    outputs.logistic.probability,
    outputs.neural.probability,
  );
  const { logistic: a, neural: b } = artifact.ensemble;
  const attributions = new Map(outputs.neural.attributions.map((x) => [x.feature, x.attribution]));
  const contributions = outputs.logistic.contributions.map((c, j) => ({
    feature: c.feature,
    value: vector[j],
    contribution: a * c.contribution + b * (attributions.get(c.feature) ?? 0),
  }));
  return {
    score: scoreFromProbability(probability),
    probability,
    decision: decide(artifact.thresholds, probability),
    reasons: topReasons(contributions, payment),
    attributionMethod: `logistic: coefficient x standardised value; network: ${outputs.neural.attributionMethod}; combined with the ensemble weights`,
    models: {
      logistic: { probability: outputs.logistic.probability },
      neural: { probability: outputs.neural.probability },
    },
    features: featureRecord(vector),
    modelVersion: artifact.version,
  };
}
