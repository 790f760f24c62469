import { defineTable } from "convex/server";
import { auditEventFields } from "./validators";

export const auditTables = {
  /**
   * Append-only: inserted by `recordAudit` (`model/audit/audit.ts`) inside the mutation that
   * makes the change (`transactions.labelForApi`, the review and webhook functions, and the
   * `rules.*ForApi` / `lists.*ForApi` mutations through `model/rules` and `model/lists`); never
   * patched or deleted, not even when a customer is deleted.
   */
  auditEvents: defineTable(auditEventFields)
    .index("by_at", ["at"])
    .index("by_action_and_at", ["action", "at"])
    .index("by_targetType_and_at", ["target.type", "at"])
    .index("by_targetType_and_action_and_at", ["target.type", "action", "at"])
    .index("by_target_and_at", ["target.type", "target.id", "at"])
    .index("by_target_and_action_and_at", ["target.type", "target.id", "action", "at"]),
};
