import fc from "fast-check";
import { expect, test } from "vitest";
import type { Id } from "../../_generated/dataModel";
import type { Decision } from "../../ml/decision";
import {
  bindingsOf,
  compileExpression,
  decideWithRules,
  runExpression,
  type RuleInput,
} from "./evaluate";
import type { RuleAction, RuleMode, RuleRef } from "./validators";

const action = fc.constantFrom<RuleAction>("allow", "block", "review");
const decision = fc.constantFrom<Decision>("allow", "block", "review");
const STRENGTH: Record<RuleAction, number> = { allow: 3, block: 2, review: 1 };

const ruleRefs = fc
  .array(action, { maxLength: 12 })
  .map((actions) =>
    actions.map((a, i): RuleRef => ({ id: `r${i}` as Id<"rules">, name: `r${i}`, action: a })),
  );

test("allow beats block beats review; the first rule of the winning action decides", () => {
  fc.assert(
    fc.property(decision, ruleRefs, (model, matched) => {
      const result = decideWithRules(model, matched);
      if (matched.length === 0) {
        expect(result).toEqual({ decision: model, source: "model", deciding: null });
        return;
      }
      const strongest = Math.max(...matched.map((r) => STRENGTH[r.action]));
      expect(result.source).toBe("rule");
      expect(STRENGTH[result.decision]).toBe(strongest);
      expect(result.deciding).toBe(matched.find((r) => r.action === result.decision));
    }),
  );
});

test("the decision does not depend on the order of the matching rules", () => {
  fc.assert(
    fc.property(
      decision,
      ruleRefs.chain((refs) =>
        fc.tuple(fc.constant(refs), fc.shuffledSubarray(refs, { minLength: refs.length })),
      ),
      (model, [matched, shuffled]) => {
        expect(decideWithRules(model, shuffled).decision).toBe(
          decideWithRules(model, matched).decision,
        );
      },
    ),
  );
});

/** A generated rule: `payment.amount > threshold`, with an action and a mode. */
const generatedRule = fc.record({
  threshold: fc.integer({ min: 0, max: 2000 }),
  literal: fc.constantFrom("int", "double"),
  action,
  mode: fc.constantFrom<RuleMode>("active", "shadow", "disabled"),
});

const input = (amount: number): RuleInput => ({
  payment: { amount, currency: "USD", timestamp: 0, userId: "u", terminalId: "t" },
  user: null,
  features: {},
  score: 0,
  probability: 0,
});

test("over random rule sets, CEL evaluation plus precedence equals the rule computed directly", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(generatedRule, { maxLength: 10 }),
      fc.integer({ min: 0, max: 2000 }),
      decision,
      async (rules, amount, model) => {
        const bindings = bindingsOf(input(amount));
        const matched: RuleRef[] = [];
        const shadowMatched: RuleRef[] = [];
        for (const [i, rule] of rules.entries()) {
          if (rule.mode === "disabled") continue;
          const literal = rule.literal === "int" ? `${rule.threshold}` : `${rule.threshold}.0`;
          const result = await runExpression(
            compileExpression(`payment.amount > ${literal}`),
            bindings,
            () => Promise.resolve(false),
          );
          expect(result.kind).toBe(amount > rule.threshold ? "match" : "miss");
          const ref = { id: `r${i}` as Id<"rules">, name: `r${i}`, action: rule.action };
          if (result.kind === "match") (rule.mode === "active" ? matched : shadowMatched).push(ref);
        }
        const decided = decideWithRules(model, matched);
        // Oracle: the strongest action among matching active rules, else the model.
        const active = rules.filter((r) => r.mode === "active" && amount > r.threshold);
        const expected =
          (["allow", "block", "review"] as const).find((a) => active.some((r) => r.action === a)) ??
          model;
        expect(decided.decision).toBe(expected);
        expect(decided.source).toBe(active.length > 0 ? "rule" : "model");
        expect(shadowMatched.length).toBe(
          rules.filter((r) => r.mode === "shadow" && amount > r.threshold).length,
        );
      },
    ),
    { numRuns: 200 },
  );
});
