import { defineTable } from "convex/server";
import { v } from "convex/values";
import { vWorkId } from "@convex-dev/workpool";
import { decision } from "../../ml/decision";
import { paymentFields, paymentReview, scoringError, storedFraudResult } from "./validators";

/**
 * A payment lives in exactly one of two tables: `tempTransactions` while it waits for its score
 * (or after its scoring failed for good), `transactions` once scored. The move is one mutation, so
 * every reader sees it in exactly one place, and both tables carry the same `paymentId` and the
 * same indexes over `(…, timestamp, paymentId)`, so lists merged from both tables keep a stable
 * order while payments move.
 */
export const paymentsTables = {
  /**
   * Written by `transactions.createForApi` (insert), `fraud/scoring.recordOutcome` (delete on
   * scoring, or `failed`), `fraud/watchdog.run` and `fraud/scoring.handOver` (a pool job), `fraud/scoring.recordInline`, `transactions.updateForApi`,
   * `transactions.labelForApi`, `transactions.deleteForApi` and `users.deleteStepForApi`.
   */
  tempTransactions: defineTable({
    ...paymentFields,
    status: v.union(v.literal("pending"), v.literal("failed")),
    /** The scoring pool's job, and how often the watchdog had to replace a lost one. */
    scoringJob: v.optional(v.object({ workId: vWorkId, recoveries: v.number() })),
    /**
     * A payment being decided in its request (`Prefer: wait`) has no pool job yet: this is the
     * scheduled hand-over to the pool, canceled when the request records the decision.
     */
    inlineHandover: v.optional(v.id("_scheduled_functions")),
    error: v.optional(scoringError),
    /** Legacy (hand-built retries); removed by the `dropDerivedFields` migration. */
    attempts: v.optional(v.number()),
    /** Legacy (hand-built retries); removed by the `dropDerivedFields` migration. */
    retryAt: v.optional(v.number()),
  })
    .index("by_paymentId", ["paymentId"])
    .index("by_idempotencyKey", ["idempotencyKey"])
    .index("by_userId_and_timestamp_and_paymentId", ["userId", "timestamp", "paymentId"])
    .index("by_userId_and_status_and_timestamp_and_paymentId", [
      "userId",
      "status",
      "timestamp",
      "paymentId",
    ])
    .index("by_terminalId_and_timestamp", ["terminalId", "timestamp"])
    .index("by_timestamp_and_paymentId", ["timestamp", "paymentId"])
    .index("by_status_and_timestamp_and_paymentId", ["status", "timestamp", "paymentId"])
    .index("by_status_and_receivedAt", ["status", "receivedAt"]),

  /**
   * Written by `fraud/scoring.recordOutcome` (insert), `fraud/explaining.recordOutcome` and
   * `fraud/watchdog.run` (the explanation), `transactions.updateForApi`,
   * `transactions.labelForApi`, `transactions.deleteForApi` and `users.deleteStepForApi`;
   * `review` and `finalDecision` by `model/reviews` (opening and resolving a review).
   */
  transactions: defineTable({
    ...paymentFields,
    status: v.literal("scored"),
    fraud: storedFraudResult,
    /** Set while the explanation is outstanding: when the watchdog checks on its job. */
    explanationDueAt: v.optional(v.number()),
    /** The explanation pool's job, while the explanation is outstanding. */
    explanationJob: v.optional(vWorkId),
    /** Its review, when the decision was `review` (`model/reviews`). */
    review: v.optional(paymentReview),
    /** A resolved review's verdict: `allow` on approve, `block` on decline. */
    finalDecision: v.optional(decision),
  })
    .index("by_paymentId", ["paymentId"])
    .index("by_explanationDueAt", ["explanationDueAt"])
    .index("by_idempotencyKey", ["idempotencyKey"])
    .index("by_userId_and_timestamp_and_paymentId", ["userId", "timestamp", "paymentId"])
    .index("by_terminalId_and_timestamp", ["terminalId", "timestamp"])
    .index("by_timestamp_and_paymentId", ["timestamp", "paymentId"])
    /** The dashboard's feed filtered by decision (`listPayments` with `decision`). */
    .index("by_decision_and_timestamp_and_paymentId", ["fraud.decision", "timestamp", "paymentId"]),
};
