import { v } from "convex/values";
import { internalMutation, internalQuery } from "./_generated/server";
import { auditActor } from "./model/audit/validators";
import {
  allRules,
  createRule,
  deleteRule,
  requireRule,
  toRuleView,
  updateRule,
} from "./model/rules/rules";
import { newRule, ruleChanges, ruleView } from "./model/rules/validators";

// The functions below serve the REST API, which checks the API key first. Each change writes
// its audit event in the same mutation.

export const createForApi = internalMutation({
  args: { input: newRule, actor: auditActor },
  returns: ruleView,
  handler: async (ctx, { input, actor }) => toRuleView(await createRule(ctx, input, actor)),
});

/** Every rule, in evaluation order (at most `MAX_RULES`). */
export const listForApi = internalQuery({
  args: {},
  returns: v.array(ruleView),
  handler: async (ctx) => (await allRules(ctx)).map(toRuleView),
});

export const getForApi = internalQuery({
  args: { id: v.string() },
  returns: ruleView,
  handler: async (ctx, { id }) => toRuleView(await requireRule(ctx, id)),
});

export const updateForApi = internalMutation({
  args: { id: v.string(), changes: ruleChanges, actor: auditActor },
  returns: ruleView,
  handler: async (ctx, { id, changes, actor }) =>
    toRuleView(await updateRule(ctx, await requireRule(ctx, id), changes, actor)),
});

export const deleteForApi = internalMutation({
  args: { id: v.string(), actor: auditActor },
  returns: v.null(),
  handler: async (ctx, { id, actor }) => {
    await deleteRule(ctx, await requireRule(ctx, id), actor);
    return null;
  },
});
