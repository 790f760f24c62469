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

/** The longest window a backtest may cover. */
export const MAX_BACKTEST_WINDOW_MS = 400 * 86_400_000;
/** Scored payments one backtest step reads (one mutation). */
export const BACKTEST_PAGE_SIZE = 500;
/** Matched payment ids a backtest keeps as samples. */
export const BACKTEST_SAMPLES = 20;

export const newBacktest = v.object({
  expression: v.string(),
  action: ruleAction,
  /** The window of payment `timestamp`s, `[from, to)` in ms. */
  from: v.number(),
  to: v.number(),
});
export type NewBacktest = Infer<typeof newBacktest>;

export const backtestStatus = v.union(v.literal("running"), v.literal("done"));

/** What a backtest has counted so far (final once `status` is `done`). */
export const backtestCounts = {
  scanned: v.number(),
  matched: v.number(),
  /** Matched payments by label. */
  matchedByLabel: v.object({ fraud: v.number(), legitimate: v.number(), unlabeled: v.number() }),
  /** Payments of the window labelled fraud, matched or not (recall's denominator). */
  labelledFraud: v.number(),
  /** `"allow->block": n`: stored decisions the rule, added as an active rule, would change. */
  decisionChanges: v.record(v.string(), v.number()),
  /** Payments whose evaluation failed at run time (counted as not matching). */
  errors: v.number(),
  sampleIds: v.array(v.string()),
};

export const backtestFields = {
  ...newBacktest.fields,
  status: backtestStatus,
  ...backtestCounts,
  /** Where the next step resumes (a pagination cursor of `transactions.by_timestamp_and_paymentId`). */
  cursor: v.union(v.string(), v.null()),
  /** The timestamp of the last payment scanned (for progress). */
  lastTimestamp: v.union(v.number(), v.null()),
  pageSize: v.number(),
  createdAt: v.number(),
  finishedAt: v.union(v.number(), v.null()),
};

/** A backtest as the API shows it. */
export const backtestView = v.object({
  id: v.id("backtests"),
  expression: v.string(),
  action: ruleAction,
  from: v.number(),
  to: v.number(),
  status: backtestStatus,
  /** Payments scanned, and how far through the window (by time) the scan is, 0 to 1. */
  progress: v.object({ scanned: v.number(), fraction: v.number() }),
  /** Set once `status` is `done`. */
  result: v.union(
    v.object({
      ...backtestCounts,
      /** Fraud among matched labelled payments; null when none is labelled. */
      precision: v.union(v.number(), v.null()),
      /** Matched fraud among all labelled fraud of the window; null when there is none. */
      recall: v.union(v.number(), v.null()),
    }),
    v.null(),
  ),
  createdAt: v.number(),
  finishedAt: v.union(v.number(), v.null()),
});
export type BacktestView = Infer<typeof backtestView>;
