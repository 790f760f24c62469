import { v, type Infer } from "convex/values";

/**
 * Convex validators for everything the tables store and the functions return.
 * Each shape is defined here once; the schema, the function `args`/`returns`
 * and the REST layer all import it from here.
 */

export const feedbackLabel = v.union(v.literal("fraud"), v.literal("legitimate"));
export type FeedbackLabel = Infer<typeof feedbackLabel>;

export const decision = v.union(v.literal("allow"), v.literal("review"), v.literal("block"));
export type Decision = Infer<typeof decision>;

export const riskLevel = v.union(v.literal("low"), v.literal("medium"), v.literal("high"));
export type RiskLevel = Infer<typeof riskLevel>;

/** Metadata is a small flat object: primitive values only (size is enforced at the API edge). */
export const metadataValue = v.union(v.string(), v.number(), v.boolean(), v.null());
export const metadata = v.record(v.string(), metadataValue);
export type Metadata = Infer<typeof metadata>;

/** Where a payment is in its life. `pending` and `failed` live in `tempTransactions`, `scored` in `transactions`. */
export const paymentStatus = v.union(
  v.literal("pending"),
  v.literal("scored"),
  v.literal("failed"),
);
export type PaymentStatus = Infer<typeof paymentStatus>;

/** The fields a client may change after creation. */
export const descriptiveFields = {
  productCategory: v.optional(v.string()),
  customerLocation: v.optional(v.string()),
  metadata: v.optional(metadata),
};

/** Fields of a payment as received; identical in both payment tables. */
export const paymentFields = {
  /** Public id, stable for life across `tempTransactions` and `transactions`. */
  paymentId: v.string(),
  userId: v.id("users"),
  amount: v.number(),
  currency: v.string(),
  terminalId: v.string(),
  /** Business time of the payment (ms). History features are computed relative to it. */
  timestamp: v.number(),
  ...descriptiveFields,
  /** When the API accepted the payment (ms). */
  receivedAt: v.number(),
  idempotencyKey: v.optional(v.string()),
  requestHash: v.optional(v.string()),
  label: v.optional(feedbackLabel),
  labeledAt: v.optional(v.number()),
};

export const reason = v.object({
  feature: v.string(),
  value: v.number(),
  contribution: v.number(),
  text: v.string(),
});
export type Reason = Infer<typeof reason>;

export const explanationSource = v.union(v.literal("llm"), v.literal("template"));

/** The scoring result stored on a scored payment. */
export const fraudResult = v.object({
  score: v.number(),
  probability: v.number(),
  level: riskLevel,
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
  scoredAt: v.number(),
  /** From the API accepting the payment to the decision. */
  latencyMs: v.number(),
  explanation: v.optional(v.string()),
  explanationSource: v.optional(explanationSource),
  explanationModel: v.optional(v.string()),
  explainedAt: v.optional(v.number()),
});
export type FraudResult = Infer<typeof fraudResult>;

export const scoringError = v.object({ code: v.string(), message: v.string() });
export type ScoringError = Infer<typeof scoringError>;

/** A payment as the API and the reactive queries show it. */
export const paymentView = v.object({
  id: v.string(),
  userId: v.id("users"),
  amount: v.number(),
  currency: v.string(),
  terminalId: v.string(),
  timestamp: v.number(),
  productCategory: v.union(v.string(), v.null()),
  customerLocation: v.union(v.string(), v.null()),
  metadata: v.union(metadata, v.null()),
  status: paymentStatus,
  label: v.union(feedbackLabel, v.null()),
  labeledAt: v.union(v.number(), v.null()),
  receivedAt: v.number(),
  fraud: v.union(fraudResult, v.null()),
  error: v.union(scoringError, v.null()),
});
export type PaymentView = Infer<typeof paymentView>;

export const userView = v.object({
  id: v.id("users"),
  name: v.string(),
  email: v.string(),
  externalId: v.union(v.string(), v.null()),
  tokenIdentifier: v.union(v.string(), v.null()),
  createdAt: v.number(),
});
export type UserView = Infer<typeof userView>;

/** One page of a list, newest first; `nextCursor` is null on the last page. */
export const paymentPage = v.object({
  data: v.array(paymentView),
  nextCursor: v.union(v.string(), v.null()),
});
export type PaymentPage = Infer<typeof paymentPage>;
