import { defineTable } from "convex/server";
import { v } from "convex/values";
import { customerStats, terminalStats } from "../../ml/statistics";

/**
 * Per customer / terminal and UTC day, the statistics the features need, kept exact by the
 * mutations that insert, delete or label payments (`aggregates.ts`). Scoring reads whole days
 * from here and only the window edges from the payments themselves, so its reads stay bounded.
 */
export const historyTables = {
  /**
   * Written by `transactions.createForApi`, `transactions.labelForApi`,
   * `transactions.deleteForApi` and `users.deleteStepForApi` (through `aggregates.ts`).
   */
  customerDays: defineTable({
    userId: v.id("users"),
    /** `floor(timestamp / DAY_MS)`. */
    day: v.number(),
    stats: customerStats,
  }).index("by_userId_and_day", ["userId", "day"]),

  /** Per terminal and UTC day: payments, and those labelled fraud. Written as `customerDays`. */
  terminalDays: defineTable({
    terminalId: v.string(),
    day: v.number(),
    stats: terminalStats,
  }).index("by_terminalId_and_day", ["terminalId", "day"]),
};
