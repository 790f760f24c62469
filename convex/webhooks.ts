import { v } from "convex/values";
import { internalMutation, internalQuery } from "./_generated/server";
import { auditActor } from "./model/audit/validators";
import { fail } from "./model/errors";
import { listAttempts } from "./model/webhooks/delivery";
import {
  createEndpoint,
  deleteEndpoint,
  listEndpoints,
  requireEndpoint,
  toWebhookView,
  updateEndpoint,
} from "./model/webhooks/endpoints";
import { sendTestEvent } from "./model/webhooks/events";
import {
  attemptPage,
  createdWebhook,
  newWebhook,
  webhookChanges,
  webhookView,
} from "./model/webhooks/validators";

// The webhook endpoints' functions, for the REST API (which checks the API key first). Each
// change writes its audit event in the same mutation.

export const createForApi = internalMutation({
  args: { input: newWebhook, actor: auditActor },
  returns: createdWebhook,
  handler: async (ctx, { input, actor }) => await createEndpoint(ctx, input, actor),
});

export const listForApi = internalQuery({
  args: {},
  returns: v.array(webhookView),
  handler: async (ctx) => (await listEndpoints(ctx)).map(toWebhookView),
});

export const getForApi = internalQuery({
  args: { id: v.string() },
  returns: webhookView,
  handler: async (ctx, { id }) => toWebhookView(await requireEndpoint(ctx, id)),
});

export const updateForApi = internalMutation({
  args: { id: v.string(), changes: webhookChanges, actor: auditActor },
  returns: webhookView,
  handler: async (ctx, { id, changes, actor }) =>
    toWebhookView(await updateEndpoint(ctx, await requireEndpoint(ctx, id), changes, actor)),
});

export const deleteForApi = internalMutation({
  args: { id: v.string(), actor: auditActor },
  returns: v.null(),
  handler: async (ctx, { id, actor }) => {
    await deleteEndpoint(ctx, await requireEndpoint(ctx, id), actor);
    return null;
  },
});

export const deliveriesForApi = internalQuery({
  args: { id: v.string(), limit: v.number(), cursor: v.union(v.string(), v.null()) },
  returns: attemptPage,
  handler: async (ctx, { id, limit, cursor }) => {
    const endpoint = await requireEndpoint(ctx, id);
    return await listAttempts(ctx, endpoint._id, { numItems: limit, cursor });
  },
});

export const testForApi = internalMutation({
  args: { id: v.string() },
  returns: v.object({ eventId: v.string() }),
  handler: async (ctx, { id }) => {
    const endpoint = await requireEndpoint(ctx, id);
    if (!endpoint.enabled) fail("webhook_disabled", "The webhook is disabled; enable it first.");
    return { eventId: await sendTestEvent(ctx, endpoint) };
  },
});
