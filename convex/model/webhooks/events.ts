import { internal } from "../../_generated/api";
import type { Doc, Id } from "../../_generated/dataModel";
import type { MutationCtx } from "../../_generated/server";
import { MAX_WEBHOOK_ENDPOINTS } from "./endpoints";
import { webhookPool } from "./pool";
import { DELIVERY_TIMEOUT_MS } from "./retry";
import type { SubscribableEventType, WebhookEventType } from "./validators";

const EVENT_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** A new event id: `evt_` and 24 random characters of [0-9a-z]. */
function randomEventId(): string {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  let id = "evt_";
  for (const byte of bytes) id += EVENT_ID_ALPHABET[byte % EVENT_ID_ALPHABET.length];
  return id;
}

/** How long after an attempt is due the watchdog checks its job is still there. */
export const ATTEMPT_CHECK_AFTER_MS = DELIVERY_TIMEOUT_MS + 5 * 60_000;

/**
 * Enqueues an attempt of a delivery on the webhook pool, now or at `runAt`, and remembers the
 * job on the delivery for the watchdog (`webhookDelivery.watchdog`).
 */
export async function enqueueAttempt(
  ctx: MutationCtx,
  deliveryId: Id<"webhookDeliveries">,
  runAt?: number,
): Promise<void> {
  const workId = await webhookPool().enqueueAction(
    ctx,
    internal.webhookDelivery.send,
    { deliveryId },
    {
      onComplete: internal.webhookDelivery.recordOutcome,
      context: { deliveryId },
      ...(runAt === undefined ? {} : { runAt }),
    },
  );
  const checkAt = (runAt ?? Date.now()) + ATTEMPT_CHECK_AFTER_MS;
  await ctx.db.patch("webhookDeliveries", deliveryId, { workId, checkAt });
}

async function publish(
  ctx: MutationCtx,
  type: WebhookEventType,
  data: unknown,
  endpoints: Doc<"webhookEndpoints">[],
): Promise<string> {
  const now = Date.now();
  const eventId = randomEventId();
  const body = JSON.stringify({ id: eventId, type, timestamp: new Date(now).toISOString(), data });
  const event = await ctx.db.insert("webhookEvents", { eventId, type, createdAt: now, body });
  for (const endpoint of endpoints) {
    const deliveryId = await ctx.db.insert("webhookDeliveries", {
      endpointId: endpoint._id,
      event,
      eventId,
      eventType: type,
      status: "pending",
      attempts: 0,
      createdAt: now,
    });
    await enqueueAttempt(ctx, deliveryId);
  }
  return eventId;
}

/**
 * Publishes an event to every enabled endpoint subscribed to its type, in the mutation that
 * made it happen: the event, one delivery per endpoint and its first attempt commit with the
 * change, or none of them do. Nothing is stored when no endpoint listens. Returns the event id,
 * or `null`. Reads at most {@link MAX_WEBHOOK_ENDPOINTS} endpoints.
 */
export async function emitEvent(
  ctx: MutationCtx,
  type: SubscribableEventType,
  data: unknown,
): Promise<string | null> {
  const enabled = await ctx.db
    .query("webhookEndpoints")
    .withIndex("by_enabled", (q) => q.eq("enabled", true))
    .take(MAX_WEBHOOK_ENDPOINTS);
  const listening = enabled.filter((endpoint) => endpoint.events.includes(type));
  if (listening.length === 0) return null;
  return await publish(ctx, type, data, listening);
}

/** Sends a `webhook.test` event to one endpoint. */
export async function sendTestEvent(
  ctx: MutationCtx,
  endpoint: Doc<"webhookEndpoints">,
): Promise<string> {
  return await publish(
    ctx,
    "webhook.test",
    { webhookId: endpoint._id, message: "A test event: your endpoint receives our webhooks." },
    [endpoint],
  );
}
