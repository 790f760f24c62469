import { defineTable } from "convex/server";
import { v } from "convex/values";
import { backtestFields, ruleFields } from "./validators";

/** Rules and the rule set's version (see `model/rules/rules.ts`). */
export const rulesTables = {
  /**
   * Written by `rules.createForApi`, `rules.updateForApi` and `rules.deleteForApi`. At most
   * `MAX_RULES` rows, so reading the rule set is bounded.
   */
  rules: defineTable(ruleFields).index("by_name", ["name"]).index("by_mode", ["mode"]),
  /**
   * One row: the rule set's version, +1 on every rule change. Written by the same three
   * functions as `rules`; read by every scoring (`fraud/scoring.recordOutcome`).
   */
  ruleSets: defineTable({
    version: v.number(),
    /** New on every change: names this state of the rule set for the isolate's cache. */
    token: v.optional(v.string()),
  }),
  /**
   * Written by `backtests.startForApi` (insert) and `backtests.step` (its counts, one page of
   * scored payments per step, until `done`).
   */
  backtests: defineTable(backtestFields),
};
