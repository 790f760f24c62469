import { vWorkId } from "@convex-dev/workpool";
import { v, type Infer } from "convex/values";

/** The events an endpoint may subscribe to. */
export const subscribableEventType = v.union(
  v.literal("payment.scored"),
  v.literal("review.opened"),
  v.literal("review.resolved"),
  v.literal("payment.labeled"),
);
export type SubscribableEventType = Infer<typeof subscribableEventType>;

/** Every event type; `webhook.test` goes only to the endpoint it is sent to. */
export const webhookEventType = v.union(
  ...subscribableEventType.members,
  v.literal("webhook.test"),
);
export type WebhookEventType = Infer<typeof webhookEventType>;

export const endpointFields = {
  url: v.string(),
  events: v.array(subscribableEventType),
  description: v.optional(v.string()),
  enabled: v.boolean(),
  /** `whsec_` and the base64 of 24 random bytes: the Standard Webhooks signing secret. */
  secret: v.string(),
  createdAt: v.number(),
  updatedAt: v.number(),
  /** Deliveries that ended `failed` in a row; at the limit the endpoint is disabled. */
  consecutiveFailures: v.number(),
};

/** An endpoint as the API shows it: never its secret (only creation returns it). */
export const webhookView = v.object({
  id: v.id("webhookEndpoints"),
  url: v.string(),
  events: v.array(subscribableEventType),
  description: v.union(v.string(), v.null()),
  enabled: v.boolean(),
  createdAt: v.number(),
  updatedAt: v.number(),
  consecutiveFailures: v.number(),
});
export type WebhookView = Infer<typeof webhookView>;

export const createdWebhook = v.object({ ...webhookView.fields, secret: v.string() });
export type CreatedWebhook = Infer<typeof createdWebhook>;

export const newWebhook = v.object({
  url: v.string(),
  events: v.array(subscribableEventType),
  description: v.optional(v.string()),
});
export type NewWebhook = Infer<typeof newWebhook>;

export const webhookChanges = v.object({
  url: v.optional(v.string()),
  events: v.optional(v.array(subscribableEventType)),
  enabled: v.optional(v.boolean()),
  description: v.optional(v.string()),
});
export type WebhookChanges = Infer<typeof webhookChanges>;

export const eventFields = {
  /** Public, stable id (`evt_…`): the `webhook-id` of every attempt to every endpoint. */
  eventId: v.string(),
  type: webhookEventType,
  createdAt: v.number(),
  /** The exact JSON body that is signed and sent: `{id, type, timestamp, data}`. */
  body: v.string(),
};

export const deliveryStatus = v.union(
  v.literal("pending"),
  v.literal("delivered"),
  v.literal("failed"),
  /** The endpoint was disabled or deleted before the event got through. */
  v.literal("canceled"),
);
export type DeliveryStatus = Infer<typeof deliveryStatus>;

export const deliveryFields = {
  endpointId: v.id("webhookEndpoints"),
  event: v.id("webhookEvents"),
  eventId: v.string(),
  eventType: webhookEventType,
  status: deliveryStatus,
  /** Attempts made so far. */
  attempts: v.number(),
  createdAt: v.number(),
  nextAttemptAt: v.optional(v.number()),
  deliveredAt: v.optional(v.number()),
  /** The pool's job for the current attempt, and when the watchdog checks on it. */
  workId: v.optional(vWorkId),
  checkAt: v.optional(v.number()),
};

export const attemptStatus = v.union(v.literal("succeeded"), v.literal("failed"));

export const attemptFields = {
  delivery: v.id("webhookDeliveries"),
  endpointId: v.id("webhookEndpoints"),
  eventId: v.string(),
  eventType: webhookEventType,
  attempt: v.number(),
  status: attemptStatus,
  responseCode: v.optional(v.number()),
  error: v.optional(v.string()),
  startedAt: v.number(),
  finishedAt: v.number(),
  /** When the next attempt is due; absent once the delivery is settled. */
  nextAttemptAt: v.optional(v.number()),
};

/** One attempt, as `GET /webhooks/{id}/deliveries` lists it. */
export const attemptView = v.object({
  id: v.id("webhookAttempts"),
  deliveryId: v.id("webhookDeliveries"),
  eventId: v.string(),
  eventType: webhookEventType,
  attempt: v.number(),
  status: attemptStatus,
  /** Where the delivery stands now (`pending` while retries remain). */
  deliveryStatus,
  responseCode: v.union(v.number(), v.null()),
  error: v.union(v.string(), v.null()),
  startedAt: v.number(),
  finishedAt: v.number(),
  nextAttemptAt: v.union(v.number(), v.null()),
});
export type AttemptView = Infer<typeof attemptView>;

export const attemptPage = v.object({
  data: v.array(attemptView),
  nextCursor: v.union(v.string(), v.null()),
});

/** What one attempt's job returns to the pool. */
export const attemptOutcome = v.union(
  v.object({
    kind: v.literal("attempted"),
    ok: v.boolean(),
    responseCode: v.optional(v.number()),
    error: v.optional(v.string()),
    startedAt: v.number(),
    finishedAt: v.number(),
  }),
  /** Nothing to send: the delivery is settled, or its endpoint disabled or gone. */
  v.object({ kind: v.literal("skipped"), reason: v.string() }),
);
export type AttemptOutcome = Infer<typeof attemptOutcome>;

/** Everything an attempt needs, in one read. */
export const attemptInput = v.union(
  v.object({
    kind: v.literal("ready"),
    url: v.string(),
    secret: v.string(),
    eventId: v.string(),
    body: v.string(),
  }),
  v.object({ kind: v.literal("skipped"), reason: v.string() }),
);
export type AttemptInput = Infer<typeof attemptInput>;
