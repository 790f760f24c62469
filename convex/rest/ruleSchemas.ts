import { z } from "zod";
import { convexToZod } from "convex-helpers/server/zod4";
import {
  backtestView,
  MAX_BACKTEST_WINDOW_MS,
  RULE_NAME_PATTERN,
  ruleView,
  type NewBacktest,
  type NewRule,
  type RuleChanges,
} from "../model/rules/validators";

/** The zod schemas of the rules endpoints (see `schemas.ts` for the conventions). */

const ruleShape = {
  name: z
    .string()
    .regex(RULE_NAME_PATTERN, "1-64 characters of a-z, 0-9 and _")
    .meta({ description: "How reasons and explanations name the rule." }),
  expression: z
    .string()
    .min(1)
    .meta({
      description:
        "A CEL condition over payment, user, features, score, probability and lists.<name>; " +
        "at most 4 KiB. Checked when saved: 422 invalid_expression otherwise.",
      examples: ["payment.amount > 1000", "payment.terminalId in lists.compromised_terminals"],
    }),
  action: z.enum(["allow", "review", "block"]),
  mode: z
    .enum(["active", "shadow", "disabled"])
    .meta({ description: "active decides, shadow is only recorded, disabled is not evaluated." }),
  description: z.string().trim().min(1).max(500),
};

export const createRuleBody = z
  .strictObject({
    ...ruleShape,
    mode: ruleShape.mode.optional(),
    description: ruleShape.description.optional(),
  })
  .meta({ id: "CreateRule" });

export const updateRuleBody = z
  .strictObject(ruleShape)
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: "at least one field is required" })
  .meta({ id: "UpdateRule" });

export const ruleSchema = convexToZod(ruleView).meta({ id: "Rule" });
export const ruleEnvelope = z.object({ rule: ruleSchema });
export const ruleListEnvelope = z.object({ data: z.array(ruleSchema) });

const instant = z.number().int().nonnegative().meta({ description: "ms since epoch" });

export const createBacktestBody = z
  .strictObject({
    expression: ruleShape.expression,
    action: ruleShape.action,
    from: instant.meta({
      description: "Start of the window of payment timestamps (inclusive, ms).",
    }),
    to: instant.meta({
      description: "End of the window (exclusive, ms); at most 400 days after from.",
    }),
  })
  .refine((b) => b.to > b.from, { message: "must be after from", path: ["to"] })
  .refine((b) => b.to - b.from <= MAX_BACKTEST_WINDOW_MS, {
    message: "the window is at most 400 days",
    path: ["to"],
  })
  .meta({ id: "CreateBacktest" });

export const backtestSchema = convexToZod(backtestView).meta({ id: "Backtest" });
export const backtestEnvelope = z.object({ backtest: backtestSchema });

void ({} as z.output<typeof createBacktestBody> satisfies NewBacktest);
void ({} as z.output<typeof createRuleBody> satisfies NewRule);
void ({} as z.output<typeof updateRuleBody> satisfies RuleChanges);
