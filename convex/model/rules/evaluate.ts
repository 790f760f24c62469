import { celEnv, isCelError, plan } from "@bufbuild/cel";
import type { Decision } from "../../ml/decision";
import { checkExpression, membershipVariable, type Expr } from "./check";
import type { RuleAction } from "./validators";

/**
 * Evaluation of rule expressions and the precedence among matching rules. Pure apart from the
 * list lookups, which the caller supplies (one indexed read each, `model/lists/lists.ts`).
 */

const env = celEnv();
type Program = ReturnType<typeof plan>;

/** A rule expression ready to run: its main program and one program per list lookup. */
export type CompiledExpression = {
  main: Program;
  memberships: { list: string; value: Program }[];
  listNames: string[];
  usesUser: boolean;
};

function planExpr(expr: Expr): Program {
  return plan(env, expr);
}

/**
 * Compiled expressions by text. Compiling depends on the text alone (lists are checked when a
 * rule is saved), so an isolate that scores many payments compiles each rule once.
 */
const compiled = new Map<string, CompiledExpression>();
const MAX_COMPILED = 1000;

/** Compiles a saved expression (already checked on save); throws if it no longer checks. */
export function compileExpression(text: string): CompiledExpression {
  const cached = compiled.get(text);
  if (cached) return cached;
  const checked = checkExpression(text, null);
  const result: CompiledExpression = {
    main: planExpr(checked.expr),
    memberships: checked.memberships.map((m) => ({ list: m.list, value: planExpr(m.value) })),
    listNames: checked.listNames,
    usesUser: checked.usesUser,
  };
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(text, result);
  return result;
}

/** The variables of a rule, as plain values (see `check.ts`, `RULE_VARIABLES`). */
export type RuleInput = {
  payment: {
    amount: number;
    currency: string;
    timestamp: number;
    userId: string;
    terminalId: string;
    productCategory?: string;
    customerLocation?: string;
    metadata?: Record<string, string | number | boolean | null>;
  };
  user: { id: string; email: string; externalId?: string; createdAt: number } | null;
  features: Record<string, number>;
  score: number;
  probability: number;
};

/** `value` is in the list `list` now. */
export type ListLookup = (list: string, value: string) => Promise<boolean>;

export type RuleResult = { kind: "match" } | { kind: "miss" } | { kind: "error"; message: string };

function toMap(record: Record<string, unknown>): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    map.set(key, value !== null && typeof value === "object" ? toMap(value as never) : value);
  }
  return map;
}

/** The CEL bindings of an input (maps, so absent optional fields are absent keys). */
export function bindingsOf(input: RuleInput): Record<string, unknown> {
  return {
    payment: toMap(input.payment),
    // A payment whose user is gone: every `user.*` read is a run-time error (no match).
    user: toMap(input.user ?? {}),
    features: toMap(input.features),
    score: input.score,
    probability: input.probability,
  };
}

/**
 * Runs one compiled expression. Each `value in lists.<name>` is looked up first (a failing
 * `value` leaves its variable unbound, so CEL's `||` / `&&` absorb the error as they would);
 * a run-time error or a non-bool result is an `error` and counts as not matching.
 */
export async function runExpression(
  expression: CompiledExpression,
  bindings: Record<string, unknown>,
  lookup: ListLookup,
): Promise<RuleResult> {
  if (expression.memberships.length > 0) {
    // First without the lookups: their variables unbound are errors, which CEL's `&&`, `||`
    // and `?:` absorb only where the other operand decides. So a bool here is the answer
    // whatever the lists hold, and no lookup is needed (`a && x in lists.l` with `a` false).
    const early = expression.main(bindings as never);
    if (typeof early === "boolean") return { kind: early ? "match" : "miss" };
  }
  const activation: Record<string, unknown> = { ...bindings };
  for (const [i, membership] of expression.memberships.entries()) {
    const value = membership.value(bindings as never);
    if (isCelError(value)) continue;
    activation[membershipVariable(i)] =
      typeof value === "string" ? await lookup(membership.list, value) : false;
  }
  const result = expression.main(activation as never);
  if (isCelError(result)) return { kind: "error", message: result.message.slice(0, 300) };
  if (typeof result !== "boolean") {
    return { kind: "error", message: "the expression did not give a bool" };
  }
  return { kind: result ? "match" : "miss" };
}

/** A list lookup that reads each (list, value) once per payment. */
export function memoizedLookup(lookup: ListLookup): ListLookup {
  const seen = new Map<string, Promise<boolean>>();
  return (list, value) => {
    const key = JSON.stringify([list, value]);
    let answer = seen.get(key);
    if (!answer) {
      answer = lookup(list, value);
      seen.set(key, answer);
    }
    return answer;
  };
}

/** Stripe Radar's precedence: an allow rule wins, then block, then review. */
const PRECEDENCE: readonly RuleAction[] = ["allow", "block", "review"];

/**
 * The decision among the matching active rules (in evaluation order): the first rule of the
 * strongest action by {@link PRECEDENCE} decides; with none, the model's decision stands.
 */
export function decideWithRules<R extends { action: RuleAction }>(
  modelDecision: Decision,
  matched: readonly R[],
): { decision: Decision; source: "rule" | "model"; deciding: R | null } {
  for (const action of PRECEDENCE) {
    const deciding = matched.find((rule) => rule.action === action);
    if (deciding) return { decision: action, source: "rule", deciding };
  }
  return { decision: modelDecision, source: "model", deciding: null };
}
