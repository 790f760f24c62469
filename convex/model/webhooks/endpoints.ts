import type { Doc, Id } from "../../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../../_generated/server";
import { webhookAllowLocalhost } from "../../config";
import { recordAudit } from "../audit/audit";
import type { AuditActor } from "../audit/validators";
import { fail } from "../errors";
import type { CreatedWebhook, NewWebhook, WebhookChanges, WebhookView } from "./validators";
import { webhookUrlProblem } from "./urls";

/** Endpoints a deployment may have: every event reads them all, so they stay few. */
export const MAX_WEBHOOK_ENDPOINTS = 25;

export type EndpointDoc = Doc<"webhookEndpoints">;

/** A new signing secret: `whsec_` and the base64 of 24 random bytes (Standard Webhooks). */
function newSecret(): string {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

/** Fails with `invalid_webhook_url` (422) unless the URL may receive webhooks (see `urls.ts`). */
export function requireAllowedUrl(url: string): void {
  const problem = webhookUrlProblem(url, { allowLocalhost: webhookAllowLocalhost() });
  if (problem)
    fail("invalid_webhook_url", `The URL ${problem}.`, [{ field: "url", message: problem }]);
}

/** The public shape of an endpoint, without its secret. */
export function toWebhookView(doc: EndpointDoc): WebhookView {
  return {
    id: doc._id,
    url: doc.url,
    events: doc.events,
    description: doc.description ?? null,
    enabled: doc.enabled,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    consecutiveFailures: doc.consecutiveFailures,
  };
}

/** What the audit trail keeps of an endpoint: everything but the secret. */
function snapshot(doc: EndpointDoc) {
  const { id: _id, ...fields } = toWebhookView(doc);
  return fields;
}

/** An endpoint by its untrusted id; `not_found` when there is none. */
export async function requireEndpoint(ctx: QueryCtx, id: string): Promise<EndpointDoc> {
  const endpointId = ctx.db.normalizeId("webhookEndpoints", id);
  const endpoint = endpointId ? await ctx.db.get("webhookEndpoints", endpointId) : null;
  if (!endpoint) fail("not_found", "Webhook not found.");
  return endpoint;
}

/** Every endpoint, oldest first (at most {@link MAX_WEBHOOK_ENDPOINTS}). */
export async function listEndpoints(ctx: QueryCtx): Promise<EndpointDoc[]> {
  return await ctx.db.query("webhookEndpoints").order("asc").take(MAX_WEBHOOK_ENDPOINTS);
}

/** Creates an endpoint; the only time its secret is returned. */
export async function createEndpoint(
  ctx: MutationCtx,
  input: NewWebhook,
  actor: AuditActor,
): Promise<CreatedWebhook> {
  requireAllowedUrl(input.url);
  const existing = await ctx.db.query("webhookEndpoints").take(MAX_WEBHOOK_ENDPOINTS);
  if (existing.length >= MAX_WEBHOOK_ENDPOINTS) {
    fail("webhook_limit", `At most ${MAX_WEBHOOK_ENDPOINTS} webhooks; delete one first.`);
  }
  const now = Date.now();
  const id = await ctx.db.insert("webhookEndpoints", {
    url: input.url,
    events: [...new Set(input.events)],
    description: input.description,
    enabled: true,
    secret: newSecret(),
    createdAt: now,
    updatedAt: now,
    consecutiveFailures: 0,
  });
  const doc = (await ctx.db.get("webhookEndpoints", id))!;
  await recordAudit(ctx, {
    actor,
    action: "webhook.created",
    target: { type: "webhook", id },
    before: null,
    after: snapshot(doc),
  });
  return { ...toWebhookView(doc), secret: doc.secret };
}

/** Changes an endpoint; re-enabling it starts its failure count afresh. */
export async function updateEndpoint(
  ctx: MutationCtx,
  endpoint: EndpointDoc,
  changes: WebhookChanges,
  actor: AuditActor,
): Promise<EndpointDoc> {
  if (changes.url !== undefined) requireAllowedUrl(changes.url);
  const reenabled = changes.enabled === true && !endpoint.enabled;
  await ctx.db.patch("webhookEndpoints", endpoint._id, {
    ...changes,
    ...(changes.events ? { events: [...new Set(changes.events)] } : {}),
    ...(reenabled ? { consecutiveFailures: 0 } : {}),
    updatedAt: Date.now(),
  });
  const updated = (await ctx.db.get("webhookEndpoints", endpoint._id))!;
  await recordAudit(ctx, {
    actor,
    action: "webhook.updated",
    target: { type: "webhook", id: endpoint._id },
    before: snapshot(endpoint),
    after: snapshot(updated),
  });
  return updated;
}

/** Deletes an endpoint; its pending deliveries end `canceled` when their attempt comes. */
export async function deleteEndpoint(
  ctx: MutationCtx,
  endpoint: EndpointDoc,
  actor: AuditActor,
): Promise<void> {
  await ctx.db.delete("webhookEndpoints", endpoint._id);
  await recordAudit(ctx, {
    actor,
    action: "webhook.deleted",
    target: { type: "webhook", id: endpoint._id },
    before: snapshot(endpoint),
    after: null,
  });
}

/** Disables an endpoint whose deliveries kept failing, with the audit event that says so. */
export async function disableFailingEndpoint(
  ctx: MutationCtx,
  endpointId: Id<"webhookEndpoints">,
): Promise<void> {
  const endpoint = await ctx.db.get("webhookEndpoints", endpointId);
  if (!endpoint?.enabled) return;
  await ctx.db.patch("webhookEndpoints", endpointId, { enabled: false, updatedAt: Date.now() });
  const updated = (await ctx.db.get("webhookEndpoints", endpointId))!;
  await recordAudit(ctx, {
    actor: { kind: "system", name: "webhooks" },
    action: "webhook.disabled",
    target: { type: "webhook", id: endpointId },
    before: snapshot(endpoint),
    after: snapshot(updated),
  });
}
