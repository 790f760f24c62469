import type { Doc } from "../../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../../_generated/server";
import { recordAudit } from "../audit/audit";
import type { AuditActor } from "../audit/validators";
import { fail } from "../errors";
import { listByName } from "../lists/lists";
import { checkExpression, ExpressionError, type CheckedRule } from "./check";
import {
  MAX_EXPRESSION_BYTES,
  MAX_RULES,
  type NewRule,
  type RuleChanges,
  type RuleView,
} from "./validators";

/**
 * The rules domain: CEL conditions saved only once they parse and type-check against the rule
 * variables and the lists that exist, at most {@link MAX_RULES} of them, and the rule set's
 * version that every scored payment records.
 */

export function toRuleView(doc: Doc<"rules">): RuleView {
  return {
    id: doc._id,
    name: doc.name,
    expression: doc.expression,
    action: doc.action,
    mode: doc.mode,
    description: doc.description ?? null,
    version: doc.version,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/** Every rule, in evaluation order (creation). At most {@link MAX_RULES} rows. */
export async function allRules(ctx: QueryCtx): Promise<Doc<"rules">[]> {
  return await ctx.db.query("rules").take(MAX_RULES);
}

/** The active and shadow rules, in evaluation order (creation). At most {@link MAX_RULES} rows. */
export async function liveRules(ctx: QueryCtx): Promise<Doc<"rules">[]> {
  const active = await ctx.db
    .query("rules")
    .withIndex("by_mode", (q) => q.eq("mode", "active"))
    .take(MAX_RULES);
  const shadow = await ctx.db
    .query("rules")
    .withIndex("by_mode", (q) => q.eq("mode", "shadow"))
    .take(MAX_RULES);
  return [...active, ...shadow].sort((a, b) => a._creationTime - b._creationTime);
}

/** The active or shadow rules whose expression references the list `name`. */
export async function rulesUsingList(ctx: QueryCtx, name: string): Promise<Doc<"rules">[]> {
  return (await liveRules(ctx)).filter((rule) => rule.listNames.includes(name));
}

/** The rule of an untrusted id; `not_found` when there is none. */
export async function requireRule(ctx: QueryCtx, id: string): Promise<Doc<"rules">> {
  const ruleId = ctx.db.normalizeId("rules", id);
  const rule = ruleId ? await ctx.db.get("rules", ruleId) : null;
  if (!rule) fail("not_found", "Rule not found.");
  return rule;
}

async function bumpRuleSet(ctx: MutationCtx): Promise<void> {
  const current = await ctx.db.query("ruleSets").first();
  const token = `${Date.now()}:${Math.random()}`;
  if (current) {
    await ctx.db.patch("ruleSets", current._id, { version: current.version + 1, token });
  } else {
    await ctx.db.insert("ruleSets", { version: 1, token });
  }
}

/** The live rules of the last rule set this isolate read, by the set's token. */
let cachedRuleSet: { token: string; rules: Doc<"rules">[] } | null = null;

/**
 * The rule set a scoring uses: its version and its active and shadow rules. Every rule change
 * writes a new `token` on the one `ruleSets` row in the same transaction, so when the token
 * read here is the cached one, the rules are the cached ones: one read instead of the rule
 * documents. Reading the row also puts it in the transaction's read set, so a rule change
 * committing meanwhile makes the scoring mutation retry and read the new set.
 */
export async function liveRuleSet(
  ctx: QueryCtx,
): Promise<{ version: number; rules: Doc<"rules">[] }> {
  const set = await ctx.db.query("ruleSets").first();
  const version = set?.version ?? 0;
  if (set?.token !== undefined && cachedRuleSet?.token === set.token) {
    return { version, rules: cachedRuleSet.rules };
  }
  const rules = await liveRules(ctx);
  if (set?.token !== undefined) cachedRuleSet = { token: set.token, rules };
  return { version, rules };
}

function invalidExpression(error: ExpressionError): never {
  fail("invalid_expression", `The expression is invalid: ${error.message}.`, [
    { field: "expression", message: error.message, position: error.position },
  ]);
}

/**
 * Checks an expression as it would be saved: its size, its syntax and types, and (with
 * `requireLists`) that every list it references exists. `invalid_expression` (422) otherwise,
 * with the checker's message and position in `details`.
 */
export async function checkRuleExpression(
  ctx: QueryCtx,
  expression: string,
  requireLists: boolean,
): Promise<CheckedRule> {
  const bytes = new TextEncoder().encode(expression).length;
  if (bytes > MAX_EXPRESSION_BYTES) {
    invalidExpression(
      new ExpressionError(`it is ${bytes} bytes long; the limit is ${MAX_EXPRESSION_BYTES}`, {
        offset: 0,
        line: 1,
        column: 1,
      }),
    );
  }
  try {
    const checked = checkExpression(expression, null);
    if (!requireLists) return checked;
    const existing = new Set<string>();
    for (const name of checked.listNames) {
      if (await listByName(ctx, name)) existing.add(name);
    }
    if (existing.size === checked.listNames.length) return checked;
    // Again, against the lists that exist, for the position of the first missing one.
    return checkExpression(expression, existing);
  } catch (error) {
    if (error instanceof ExpressionError) invalidExpression(error);
    throw error;
  }
}

async function requireFreeName(ctx: QueryCtx, name: string): Promise<void> {
  const taken = await ctx.db
    .query("rules")
    .withIndex("by_name", (q) => q.eq("name", name))
    .first();
  if (taken) {
    fail("rule_name_taken", `A rule named ${name} already exists.`, [
      { field: "name", message: "already used" },
    ]);
  }
}

/** Creates a rule, with its `rule.created` audit event (after: the rule as the API shows it). */
export async function createRule(
  ctx: MutationCtx,
  input: NewRule,
  actor: AuditActor,
): Promise<Doc<"rules">> {
  if ((await allRules(ctx)).length >= MAX_RULES) {
    fail("rule_limit_reached", `At most ${MAX_RULES} rules; delete one first.`);
  }
  await requireFreeName(ctx, input.name);
  const checked = await checkRuleExpression(ctx, input.expression, true);
  const now = Date.now();
  const id = await ctx.db.insert("rules", {
    ...input,
    mode: input.mode ?? "active",
    version: 1,
    listNames: checked.listNames,
    createdAt: now,
    updatedAt: now,
  });
  await bumpRuleSet(ctx);
  const rule = (await ctx.db.get("rules", id))!;
  await recordAudit(ctx, {
    actor,
    action: "rule.created",
    target: { type: "rule", id },
    before: null,
    after: toRuleView(rule),
  });
  return rule;
}

/**
 * Changes a rule; its version increases. The expression is checked again, and its lists must
 * exist unless the rule ends up disabled with its expression unchanged. Writes one
 * `rule.updated` audit event (before/after: the rule as the API shows it); a refused change
 * throws before anything is written, so it records nothing.
 */
export async function updateRule(
  ctx: MutationCtx,
  rule: Doc<"rules">,
  changes: RuleChanges,
  actor: AuditActor,
): Promise<Doc<"rules">> {
  if (changes.name !== undefined && changes.name !== rule.name) {
    await requireFreeName(ctx, changes.name);
  }
  const next = { ...rule, ...changes };
  const requireLists = next.mode !== "disabled" || next.expression !== rule.expression;
  const checked = await checkRuleExpression(ctx, next.expression, requireLists);
  await ctx.db.patch("rules", rule._id, {
    ...changes,
    listNames: checked.listNames,
    version: rule.version + 1,
    updatedAt: Date.now(),
  });
  await bumpRuleSet(ctx);
  const updated = (await ctx.db.get("rules", rule._id))!;
  await recordAudit(ctx, {
    actor,
    action: "rule.updated",
    target: { type: "rule", id: rule._id },
    before: toRuleView(rule),
    after: toRuleView(updated),
  });
  return updated;
}

/** Deletes a rule, with its `rule.deleted` audit event (before: the rule as the API showed it). */
export async function deleteRule(
  ctx: MutationCtx,
  rule: Doc<"rules">,
  actor: AuditActor,
): Promise<void> {
  await ctx.db.delete("rules", rule._id);
  await bumpRuleSet(ctx);
  await recordAudit(ctx, {
    actor,
    action: "rule.deleted",
    target: { type: "rule", id: rule._id },
    before: toRuleView(rule),
    after: null,
  });
}
