import { internal } from "../../_generated/api";
import { actorOf } from "../apiKeys";
import { apiPath } from "../constants";
import { decodeNumericCursor, withEncodedCursor } from "../cursor";
import { json } from "../errors";
import { defineRoute, type Route } from "../route";
import {
  attemptPageEnvelope,
  createdWebhookEnvelope,
  createWebhookBody,
  listDeliveriesQuery,
  testEventEnvelope,
  updateWebhookBody,
  webhookEnvelope,
  webhookListEnvelope,
} from "../webhookSchemas";

const notFound = { 404: { description: "No such webhook." } };

/** Webhook endpoints: signed (Standard Webhooks) notifications of decisions and reviews. */
export const webhookRoutes: Route[] = [
  defineRoute({
    method: "POST",
    path: "/webhooks",
    auth: true,
    summary: "Register an endpoint. The signing secret (whsec_…) is returned only here.",
    body: createWebhookBody,
    responses: {
      201: { description: "Created, with its secret.", schema: createdWebhookEnvelope },
      409: { description: "Too many webhooks (webhook_limit)." },
      422: {
        description: "Invalid, or a URL that may not receive webhooks (invalid_webhook_url).",
      },
    },
    handle: async ({ ctx, client, body }) => {
      const webhook = await ctx.runMutation(internal.webhooks.createForApi, {
        input: body,
        actor: actorOf(client),
      });
      return json(201, { webhook }, { Location: apiPath("webhooks", webhook.id) });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/webhooks",
    auth: true,
    summary: "List the endpoints, oldest first, without their secrets.",
    responses: { 200: { description: "Every endpoint.", schema: webhookListEnvelope } },
    handle: async ({ ctx }) => {
      const data = await ctx.runQuery(internal.webhooks.listForApi, {});
      return json(200, { data });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/webhooks/{id}",
    auth: true,
    summary: "Read an endpoint, without its secret.",
    responses: { 200: { description: "The endpoint.", schema: webhookEnvelope }, ...notFound },
    handle: async ({ ctx, params }) => {
      const webhook = await ctx.runQuery(internal.webhooks.getForApi, { id: params.id });
      return json(200, { webhook });
    },
  }),
  defineRoute({
    method: "PATCH",
    path: "/webhooks/{id}",
    auth: true,
    summary: "Change an endpoint's URL, events, description, or enable or disable it.",
    body: updateWebhookBody,
    responses: {
      200: { description: "The endpoint.", schema: webhookEnvelope },
      ...notFound,
      422: { description: "Invalid, or a URL that may not receive webhooks." },
    },
    handle: async ({ ctx, client, params, body }) => {
      const webhook = await ctx.runMutation(internal.webhooks.updateForApi, {
        id: params.id,
        changes: body,
        actor: actorOf(client),
      });
      return json(200, { webhook });
    },
  }),
  defineRoute({
    method: "DELETE",
    path: "/webhooks/{id}",
    auth: true,
    summary: "Delete an endpoint; its pending deliveries are canceled.",
    responses: { 204: { description: "Deleted." }, ...notFound },
    handle: async ({ ctx, client, params }) => {
      await ctx.runMutation(internal.webhooks.deleteForApi, {
        id: params.id,
        actor: actorOf(client),
      });
      return json(204, null);
    },
  }),
  defineRoute({
    method: "GET",
    path: "/webhooks/{id}/deliveries",
    auth: true,
    summary:
      "Delivery attempts, newest first: event, attempt number, status, response code, error, times, next attempt.",
    query: listDeliveriesQuery,
    responses: { 200: { description: "One page.", schema: attemptPageEnvelope }, ...notFound },
    handle: async ({ ctx, params, query }) => {
      const page = await ctx.runQuery(internal.webhooks.deliveriesForApi, {
        id: params.id,
        limit: query.limit,
        cursor: query.cursor === undefined ? null : decodeNumericCursor(query.cursor),
      });
      return json(200, withEncodedCursor(page));
    },
  }),
  defineRoute({
    method: "POST",
    path: "/webhooks/{id}/test",
    auth: true,
    summary: "Send a webhook.test event to this endpoint.",
    responses: {
      202: { description: "Queued; the event's id.", schema: testEventEnvelope },
      ...notFound,
      409: { description: "The endpoint is disabled (webhook_disabled)." },
    },
    handle: async ({ ctx, params }) => {
      const sent = await ctx.runMutation(internal.webhooks.testForApi, { id: params.id });
      return json(202, sent);
    },
  }),
];
