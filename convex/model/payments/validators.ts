import { v, type Infer } from "convex/values";
import { assessment, decision, riskLevel } from "../../ml/decision";
import { historyRowIds } from "../history/validators";
import { decisionSource, rulesOutcome } from "../rules/validators";

/**
 * Convex validators of everything the payment tables store and the payment functions take and
 * return. Each shape is defined here once; the schema, the function `args`/`returns`, the REST
 * layer's response schemas and the TypeScript types (`Infer`) all come from it.
 */

export const feedbackLabel = v.union(v.literal("fraud"), v.literal("legitimate"));
export type FeedbackLabel = Infer<typeof feedbackLabel>;

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

/** A review's state: `open` in the queue, then `approved` or `declined` for good. */
export const reviewStatus = v.union(
  v.literal("open"),
  v.literal("approved"),
  v.literal("declined"),
);
export type ReviewStatus = Infer<typeof reviewStatus>;

/** An analyst's verdict: `approve` lets the payment through (`allow`), `decline` blocks it. */
export const reviewOutcome = v.union(v.literal("approve"), v.literal("decline"));
export type ReviewOutcome = Infer<typeof reviewOutcome>;

/** What a scored payment stores of its review (`transactions.review`). */
export const paymentReview = v.object({
  id: v.id("reviews"),
  status: reviewStatus,
  outcome: v.optional(reviewOutcome),
});
export type PaymentReview = Infer<typeof paymentReview>;

/** The review summary as the API shows it on a payment. */
export const paymentReviewView = v.object({
  id: v.id("reviews"),
  status: reviewStatus,
  outcome: v.union(reviewOutcome, v.null()),
});

/** The fields a client may change after creation. */
export const descriptiveFields = {
  productCategory: v.optional(v.string()),
  customerLocation: v.optional(v.string()),
  metadata: v.optional(metadata),
};
export const descriptiveChanges = v.object(descriptiveFields);
export type DescriptiveChanges = Infer<typeof descriptiveChanges>;

/** A payment as a client submits it, defaults applied (`timestamp` defaults to receipt). */
export const newPayment = v.object({
  userId: v.id("users"),
  amount: v.number(),
  currency: v.string(),
  terminalId: v.string(),
  /** Business time of the payment (ms). History features are computed relative to it. */
  timestamp: v.optional(v.number()),
  ...descriptiveFields,
});
export type NewPayment = Infer<typeof newPayment>;

/** A payment as the REST API hands it over: `userId` is still an untrusted string. */
export const paymentSubmission = v.object({ ...newPayment.fields, userId: v.string() });
export type PaymentSubmission = Infer<typeof paymentSubmission>;

/** An `Idempotency-Key`, scoped to its API key, and the hash of the body it came with. */
export const idempotency = v.object({ key: v.string(), requestHash: v.string() });
export type Idempotency = Infer<typeof idempotency>;

/** Fields of a payment as received; identical in both payment tables. */
export const paymentFields = {
  ...newPayment.fields,
  timestamp: v.number(),
  /** Public id, stable for life across `tempTransactions` and `transactions`. */
  paymentId: v.string(),
  /** When the API accepted the payment (ms). */
  receivedAt: v.number(),
  idempotencyKey: v.optional(v.string()),
  requestHash: v.optional(v.string()),
  label: v.optional(feedbackLabel),
  labeledAt: v.optional(v.number()),
  /** Its rows in the history the features read (absent on payments older code stored). */
  historyRows: v.optional(historyRowIds),
};

/**
 * Why scoring a payment failed for good. `history_too_dense` and `invalid_input` fail at once;
 * `scoring_error` and `history_lagging` after the scoring pool's last attempt; `scoring_timeout` when the watchdog
 * found the job lost too often; `scoring_canceled` when the job was canceled.
 */
export const scoringErrorCode = v.union(
  v.literal("history_too_dense"),
  v.literal("history_lagging"),
  v.literal("invalid_input"),
  v.literal("scoring_error"),
  v.literal("scoring_timeout"),
  v.literal("scoring_canceled"),
);
export type ScoringErrorCode = Infer<typeof scoringErrorCode>;

/** A failed scoring as stored and shown. Older payments may carry other code strings. */
export const scoringError = v.object({ code: v.string(), message: v.string() });
export type ScoringError = Infer<typeof scoringError>;

export const explanationSource = v.union(v.literal("llm"), v.literal("template"));
export type ExplanationSource = Infer<typeof explanationSource>;

/** The explanation of a decision, once written. */
export const explanationFields = {
  explanation: v.optional(v.string()),
  explanationSource: v.optional(explanationSource),
  explanationModel: v.optional(v.string()),
  explainedAt: v.optional(v.number()),
};

/** The scoring result stored on a scored payment. */
export const storedFraudResult = v.object({
  ...assessment.fields,
  scoredAt: v.number(),
  /** From the API accepting the payment to the decision. */
  latencyMs: v.number(),
  ...explanationFields,
  /** `rule` when a matching active rule decided, `model` when the thresholds did. */
  decisionSource: v.optional(decisionSource),
  /** What the model's thresholds decided (`decision` differs when a rule decided). */
  modelDecision: v.optional(decision),
  /** The rules the payment was evaluated against (absent on payments scored before rules). */
  rules: v.optional(rulesOutcome),
  /** Legacy: derived from `decision` since; removed by the `dropDerivedFields` migration. */
  level: v.optional(riskLevel),
});
export type StoredFraudResult = Infer<typeof storedFraudResult>;

/** The scoring result as the API shows it: the stored one, with its risk level. */
export const fraudResult = v.object({
  ...storedFraudResult.fields,
  level: riskLevel,
});
export type FraudResult = Infer<typeof fraudResult>;

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
  /** The payment's review, once its decision was `review`. */
  review: v.union(paymentReviewView, v.null()),
  /**
   * The decision that stands: `allow` or `block` as scored, or a resolved review's verdict
   * (`allow` on approve, `block` on decline); `null` before scoring and while a review is open.
   */
  finalDecision: v.union(decision, v.null()),
});
export type PaymentView = Infer<typeof paymentView>;

/** One page of a list, newest first; `nextCursor` is null on the last page. */
export const paymentPage = v.object({
  data: v.array(paymentView),
  nextCursor: v.union(v.string(), v.null()),
});
export type PaymentPage = Infer<typeof paymentPage>;
