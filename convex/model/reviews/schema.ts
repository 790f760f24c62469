import { defineTable } from "convex/server";
import { reviewFields } from "./validators";

export const reviewsTables = {
  /**
   * One per payment decided `review`. Inserted by `openReview` (from `fraud/scoring.recordOutcome`,
   * in the mutation that records the decision); patched by `reviews.assignForApi`,
   * `reviews.resolveForApi` and the dashboard's `reviews.assign` / `reviews.resolve`.
   */
  reviews: defineTable(reviewFields)
    .index("by_paymentId", ["paymentId"])
    .index("by_status_and_openedAt", ["status", "openedAt"])
    .index("by_status_and_resolvedAt", ["status", "resolvedAt"]),
};
