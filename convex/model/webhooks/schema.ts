import { defineTable } from "convex/server";
import { attemptFields, deliveryFields, endpointFields, eventFields } from "./validators";

export const webhooksTables = {
  /**
   * Written by `webhooks.createForApi`, `updateForApi`, `deleteForApi` and by
   * `webhookDelivery.recordOutcome` (the failure count; disabling after too many).
   */
  webhookEndpoints: defineTable(endpointFields).index("by_enabled", ["enabled"]),
  /** Inserted by `emitEvent` (`model/webhooks/events.ts`) when at least one endpoint listens. */
  webhookEvents: defineTable(eventFields).index("by_eventId", ["eventId"]),
  /**
   * One per event and endpoint. Inserted by `emitEvent`; patched by
   * `webhookDelivery.recordOutcome` (each attempt) and `webhookDelivery.watchdog` (a lost job).
   */
  webhookDeliveries: defineTable(deliveryFields)
    .index("by_endpointId_and_status", ["endpointId", "status"])
    .index("by_status_and_checkAt", ["status", "checkAt"])
    .index("by_event", ["event"]),
  /** One per attempt, inserted by `webhookDelivery.recordOutcome`; never changed. */
  webhookAttempts: defineTable(attemptFields)
    .index("by_endpointId_and_startedAt", ["endpointId", "startedAt"])
    .index("by_delivery", ["delivery"]),
};
