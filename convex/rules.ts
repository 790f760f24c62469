import { v } from "convex/values";
import { internalMutation, internalQuery } from "./_generated/server";
import {
  allRules,
  createRule,
  deleteRule,
  requireRule,
  toRuleView,
  updateRule,
} from "./model/rules/rules";
import { newRule, ruleChanges, ruleView } from "./model/rules/validators";

// The functions below serve the REST API, which checks the API key first.

export const createForApi = internalMutation({
  args: { input: newRule },
  returns: ruleView,
  handler: async (ctx, { input }) => toRuleView(await createRule(ctx, input)),
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
  args: { id: v.string(), changes: ruleChanges },
  returns: ruleView,
  handler: async (ctx, { id, changes }) =>
    toRuleView(await updateRule(ctx, await requireRule(ctx, id), changes)),
});

export const deleteForApi = internalMutation({
  args: { id: v.string() },
  returns: v.null(),
  handler: async (ctx, { id }) => {
    await deleteRule(ctx, await requireRule(ctx, id));
    return null;
  },
});
