import { v, type Infer } from "convex/values";

/**
 * Convex validators of the rules domain: CEL conditions beside the models, their actions and
 * modes, what a scored payment records about them, and backtests.
 */

/** A rule's name: what reasons and explanations call it. */
export const RULE_NAME_PATTERN = /^[a-z0-9_]{1,64}$/;
/** The longest expression a rule may hold (bytes of UTF-8). */
export const MAX_EXPRESSION_BYTES = 4096;
/** Rules a deployment may hold, whatever their mode: the bound of every read of the rule set. */
export const MAX_RULES = 200;

/** Reasons of rules carry this feature prefix; the template leads with the first of them. */
export const RULE_REASON_PREFIX = "rule:";

export const ruleAction = v.union(v.literal("allow"), v.literal("review"), v.literal("block"));
export type RuleAction = Infer<typeof ruleAction>;

/** `active` rules decide, `shadow` rules are only recorded, `disabled` rules are not evaluated. */
export const ruleMode = v.union(v.literal("active"), v.literal("shadow"), v.literal("disabled"));
export type RuleMode = Infer<typeof ruleMode>;

export const newRule = v.object({
  name: v.string(),
  expression: v.string(),
  action: ruleAction,
  mode: v.optional(ruleMode),
  description: v.optional(v.string()),
});
export type NewRule = Infer<typeof newRule>;

export const ruleChanges = v.object({
  name: v.optional(v.string()),
  expression: v.optional(v.string()),
  action: v.optional(ruleAction),
  mode: v.optional(ruleMode),
  description: v.optional(v.string()),
});
export type RuleChanges = Infer<typeof ruleChanges>;

export const ruleFields = {
  name: v.string(),
  expression: v.string(),
  action: ruleAction,
  mode: ruleMode,
  description: v.optional(v.string()),
  /** 1 at creation, +1 on every change. */
  version: v.number(),
  /** The lists the expression tests membership in (`lists.<name>`), by name. */
  listNames: v.array(v.string()),
  createdAt: v.number(),
  updatedAt: v.number(),
};

/** A rule as the API shows it. */
export const ruleView = v.object({
  id: v.id("rules"),
  name: v.string(),
  expression: v.string(),
  action: ruleAction,
  mode: ruleMode,
  description: v.union(v.string(), v.null()),
  version: v.number(),
  createdAt: v.number(),
  updatedAt: v.number(),
});
export type RuleView = Infer<typeof ruleView>;

/** A rule as a scored payment records it. */
export const ruleRef = v.object({ id: v.id("rules"), name: v.string(), action: ruleAction });
export type RuleRef = Infer<typeof ruleRef>;

/** What a scored payment records about the rules it was evaluated against. */
export const rulesOutcome = v.object({
  /** Matching active rules, in evaluation order. */
  matched: v.array(ruleRef),
  /** Matching shadow rules: recorded, never deciding. */
  shadowMatched: v.array(ruleRef),
  /** Rules whose expression failed at run time (counted as not matching). */
  errors: v.array(v.object({ id: v.id("rules"), name: v.string(), message: v.string() })),
  /** The rule set's version the payment was evaluated against. */
  version: v.number(),
});
export type RulesOutcome = Infer<typeof rulesOutcome>;

export const decisionSource = v.union(v.literal("rule"), v.literal("model"));
export type DecisionSource = Infer<typeof decisionSource>;

/** The deciding rule, as explanations name it. */
export const decidingRule = v.object({
  name: v.string(),
  expression: v.string(),
  action: ruleAction,
});
export type DecidingRule = Infer<typeof decidingRule>;
