import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { customerStats, terminalStats } from "./fraud/validators";
import { fraudResult, paymentFields, scoringError } from "./model/validators";

/**
 * A payment lives in exactly one of two tables: `tempTransactions` while it waits
 * for its score (or after its scoring failed for good), `transactions` once scored.
 * The move is one mutation, so every reader sees it in exactly one place, and both
 * tables carry the same `paymentId` and the same indexes over
 * `(…, timestamp, paymentId)`, so lists merged from both tables keep a stable order
 * while payments move.
 */
export default defineSchema({
  users: defineTable({
    name: v.string(),
    /** Lower-cased; unique. */
    email: v.string(),
    /** The caller's own id for this customer; unique when present. */
    externalId: v.optional(v.string()),
    /** Links a Convex auth identity (`identity.tokenIdentifier`) to this customer. */
    tokenIdentifier: v.optional(v.string()),
    createdAt: v.number(),
  })
    .index("by_email", ["email"])
    .index("by_externalId", ["externalId"])
    .index("by_tokenIdentifier", ["tokenIdentifier"]),

  tempTransactions: defineTable({
    ...paymentFields,
    status: v.union(v.literal("pending"), v.literal("failed")),
    /** Scoring attempts started so far; a result is accepted only from the latest one. */
    attempts: v.number(),
    /** When a pending payment counts as stuck and the sweeper schedules it again. */
    retryAt: v.number(),
    error: v.optional(scoringError),
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
    .index("by_status_and_retryAt", ["status", "retryAt"]),

  transactions: defineTable({
    ...paymentFields,
    status: v.literal("scored"),
    fraud: fraudResult,
    /** Set while the explanation is outstanding: when the sweeper writes the template instead. */
    explanationDueAt: v.optional(v.number()),
  })
    .index("by_paymentId", ["paymentId"])
    .index("by_explanationDueAt", ["explanationDueAt"])
    .index("by_idempotencyKey", ["idempotencyKey"])
    .index("by_userId_and_timestamp_and_paymentId", ["userId", "timestamp", "paymentId"])
    .index("by_terminalId_and_timestamp", ["terminalId", "timestamp"])
    .index("by_timestamp_and_paymentId", ["timestamp", "paymentId"]),

  /**
   * Per customer and UTC day, the statistics the customer features need, kept exact by the
   * mutations that insert, delete or label payments. Scoring reads whole days from here and
   * only the window edges from the payments themselves, so its reads stay bounded.
   */
  customerDays: defineTable({
    userId: v.id("users"),
    /** `floor(timestamp / 86_400_000)`. */
    day: v.number(),
    stats: customerStats,
  }).index("by_userId_and_day", ["userId", "day"]),

  /** Per terminal and UTC day: payments, and those labelled fraud. */
  terminalDays: defineTable({
    terminalId: v.string(),
    day: v.number(),
    stats: terminalStats,
  }).index("by_terminalId_and_day", ["terminalId", "day"]),
});
