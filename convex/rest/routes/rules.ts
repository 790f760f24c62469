import { internal } from "../../_generated/api";
import { actorOf } from "../apiKeys";
import { apiPath } from "../constants";
import { json } from "../errors";
import { defineRoute, type Route } from "../route";
import {
  backtestEnvelope,
  createBacktestBody,
  createRuleBody,
  ruleEnvelope,
  ruleListEnvelope,
  updateRuleBody,
} from "../ruleSchemas";

const invalidExpression = {
  description:
    "The expression does not parse or type-check, names an unknown variable, field or list, " +
    "does not give a bool, or is over 4 KiB (`invalid_expression`, position in `details`).",
};

/** The rules endpoints: CEL conditions that allow, review or block beside the models. */
export const ruleRoutes: Route[] = [
  defineRoute({
    method: "POST",
    path: "/rules",
    auth: true,
    summary: "Create a rule; it applies to every payment scored after it is saved.",
    body: createRuleBody,
    responses: {
      201: { description: "Created.", schema: ruleEnvelope },
      409: { description: "The name is taken, or 200 rules exist already." },
      422: invalidExpression,
    },
    handle: async ({ ctx, client, body }) => {
      const rule = await ctx.runMutation(internal.rules.createForApi, {
        input: body,
        actor: actorOf(client),
      });
      return json(201, { rule }, { Location: apiPath("rules", rule.id) });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/rules",
    auth: true,
    summary: "Every rule, in evaluation order.",
    responses: { 200: { description: "The rules.", schema: ruleListEnvelope } },
    handle: async ({ ctx }) => {
      const data = await ctx.runQuery(internal.rules.listForApi, {});
      return json(200, { data });
    },
  }),
  // Before `/rules/{id}`, which would otherwise match `/rules/backtests`.
  defineRoute({
    method: "POST",
    path: "/rules/backtests",
    auth: true,
    summary:
      "Backtest an expression on the scored payments of a window (at most 400 days), with the " +
      "features stored at decision time; runs in the background.",
    body: createBacktestBody,
    responses: {
      202: { description: "Started.", schema: backtestEnvelope },
      422: invalidExpression,
    },
    handle: async ({ ctx, body }) => {
      const backtest = await ctx.runMutation(internal.backtests.startForApi, { input: body });
      return json(202, { backtest }, { Location: apiPath("rules", "backtests", backtest.id) });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/rules/backtests/{id}",
    auth: true,
    summary: "A backtest's progress, and its counts, precision and recall once done.",
    responses: {
      200: { description: "The backtest.", schema: backtestEnvelope },
      404: { description: "No such backtest." },
    },
    handle: async ({ ctx, params }) => {
      const backtest = await ctx.runQuery(internal.backtests.getForApi, { id: params.id });
      return json(200, { backtest });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/rules/{id}",
    auth: true,
    summary: "Read a rule.",
    responses: {
      200: { description: "The rule.", schema: ruleEnvelope },
      404: { description: "No such rule." },
    },
    handle: async ({ ctx, params }) => {
      const rule = await ctx.runQuery(internal.rules.getForApi, { id: params.id });
      return json(200, { rule });
    },
  }),
  defineRoute({
    method: "PATCH",
    path: "/rules/{id}",
    auth: true,
    summary:
      "Change a rule's name, expression, action, mode or description; its version increases.",
    body: updateRuleBody,
    responses: {
      200: { description: "The updated rule.", schema: ruleEnvelope },
      404: { description: "No such rule." },
      409: { description: "The name is taken." },
      422: invalidExpression,
    },
    handle: async ({ ctx, client, params, body }) => {
      const rule = await ctx.runMutation(internal.rules.updateForApi, {
        id: params.id,
        changes: body,
        actor: actorOf(client),
      });
      return json(200, { rule });
    },
  }),
  defineRoute({
    method: "DELETE",
    path: "/rules/{id}",
    auth: true,
    summary: "Delete a rule.",
    responses: { 204: { description: "Deleted." }, 404: { description: "No such rule." } },
    handle: async ({ ctx, client, params }) => {
      await ctx.runMutation(internal.rules.deleteForApi, {
        id: params.id,
        actor: actorOf(client),
      });
      return json(204, null);
    },
  }),
];
