import type { MutationCtx, QueryCtx } from "../../_generated/server";
import type { Reason } from "../../ml/reasons";
import { membershipLookup } from "../lists/lists";
import type { PaymentDoc, StagedPayment } from "../payments/locate";
import type { StoredFraudResult } from "../payments/validators";
import {
  bindingsOf,
  compileExpression,
  decideWithRules,
  memoizedLookup,
  runExpression,
  type RuleInput,
  type RuleResult,
} from "./evaluate";
import { liveRuleSet } from "./rules";
import { RULE_REASON_PREFIX, type RuleAction, type RuleRef, type RulesOutcome } from "./validators";

const ACTION_WORDS: Record<RuleAction, string> = {
  allow: "allowed",
  block: "blocked",
  review: "sent for review",
};

/** The reason a deciding rule gives, first among the reasons: "blocked by the rule *x*: …". */
export function ruleReason(rule: { name: string; expression: string; action: RuleAction }): Reason {
  return {
    feature: `${RULE_REASON_PREFIX}${rule.name}`,
    value: 1,
    contribution: 0,
    text: `${ACTION_WORDS[rule.action]} by the rule *${rule.name}*: ${rule.expression}`,
  };
}

/**
 * The rule variables of a payment (staged or scored) and the assessment of the models. The
 * user document is read only when `withUser` (some expression reads `user`).
 */
export async function ruleInputOf(
  ctx: QueryCtx,
  payment: PaymentDoc,
  fraud: Pick<StoredFraudResult, "features" | "score" | "probability">,
  withUser: boolean,
): Promise<RuleInput> {
  const user = withUser ? await ctx.db.get("users", payment.userId) : null;
  return {
    payment: {
      amount: payment.amount,
      currency: payment.currency,
      timestamp: payment.timestamp,
      userId: payment.userId,
      terminalId: payment.terminalId,
      productCategory: payment.productCategory,
      customerLocation: payment.customerLocation,
      metadata: payment.metadata,
    },
    user: user && {
      id: user._id,
      email: user.email,
      externalId: user.externalId,
      createdAt: user.createdAt,
    },
    features: fraud.features,
    score: fraud.score,
    probability: fraud.probability,
  };
}

/**
 * Runs the active and shadow rules (at most `MAX_RULES`, in evaluation order) on a payment the
 * models just scored, in the mutation that records its decision, so a rule or list change
 * applies to every payment scored after it commits. Among matching active rules the precedence
 * of `decideWithRules` decides; shadow rules are recorded only. An expression that fails at run
 * time does not match and is recorded in `rules.errors`. Score and probability stay the
 * model's; `modelDecision` keeps what the thresholds said. Reads: the rules, the rule set's
 * version, the user, and two index lookups per distinct (list, value) the rules test.
 */
export async function applyRules(
  ctx: MutationCtx,
  staged: StagedPayment,
  fraud: StoredFraudResult,
): Promise<StoredFraudResult> {
  const { version, rules } = await liveRuleSet(ctx);
  const outcome: RulesOutcome = { matched: [], shadowMatched: [], errors: [], version };
  const expressions = new Map<string, string>();
  if (rules.length > 0) {
    const compiled = rules.map((rule) => {
      try {
        return compileExpression(rule.expression);
      } catch (error) {
        return { error: String(error).slice(0, 300) };
      }
    });
    const withUser = compiled.some((c) => "usesUser" in c && c.usesUser);
    const bindings = bindingsOf(await ruleInputOf(ctx, staged, fraud, withUser));
    const now = Date.now();
    const lookup = memoizedLookup(membershipLookup(ctx, now));
    for (const [i, rule] of rules.entries()) {
      const program = compiled[i];
      let result: RuleResult;
      try {
        if ("error" in program) throw new Error(program.error);
        result = await runExpression(program, bindings, lookup);
      } catch (error) {
        // Never fails the scoring: the rule does not match, and the error is recorded.
        result = { kind: "error", message: String(error).slice(0, 300) };
      }
      const ref: RuleRef = { id: rule._id, name: rule.name, action: rule.action };
      expressions.set(rule._id, rule.expression);
      if (result.kind === "error") {
        outcome.errors.push({ id: rule._id, name: rule.name, message: result.message });
      } else if (result.kind === "match") {
        (rule.mode === "active" ? outcome.matched : outcome.shadowMatched).push(ref);
      }
    }
  }
  const { decision, source, deciding } = decideWithRules(fraud.decision, outcome.matched);
  return {
    ...fraud,
    decision,
    modelDecision: fraud.decision,
    decisionSource: source,
    reasons: deciding
      ? [
          ruleReason({ ...deciding, expression: expressions.get(deciding.id) ?? "" }),
          ...fraud.reasons,
        ]
      : fraud.reasons,
    rules: outcome,
  };
}
