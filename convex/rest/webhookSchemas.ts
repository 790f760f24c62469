import { z } from "zod";
import { convexToZod } from "convex-helpers/server/zod4";
import {
  attemptView,
  createdWebhook,
  webhookView,
  type NewWebhook,
  type WebhookChanges,
} from "../model/webhooks/validators";
import { cursorParam, limitParam } from "./schemas";

/** The webhook endpoints' bodies, query strings and responses. */

export const WEBHOOK_EVENT_TYPES = [
  "payment.scored",
  "review.opened",
  "review.resolved",
  "payment.labeled",
] as const;

const url = z
  .string()
  .max(2000)
  .meta({ description: "https, public host, no credentials (localhost only in local mode)." });
const events = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length * 2)
  .meta({ description: "The event types to receive." });
const description = z.string().trim().min(1).max(500);

export const createWebhookBody = z
  .strictObject({ url, events, description: description.optional() })
  .meta({ id: "CreateWebhook" });

export const updateWebhookBody = z
  .strictObject({
    url: url.optional(),
    events: events.optional(),
    enabled: z.boolean().optional(),
    description: description.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: "at least one field is required" })
  .meta({ id: "UpdateWebhook" });

export const listDeliveriesQuery = z.strictObject({
  limit: limitParam,
  cursor: cursorParam.optional(),
});

void ({} as z.output<typeof createWebhookBody> satisfies NewWebhook);
void ({} as z.output<typeof updateWebhookBody> satisfies WebhookChanges);

export const webhookSchema = convexToZod(webhookView).meta({ id: "Webhook" });
export const webhookEnvelope = z.object({ webhook: webhookSchema });
export const createdWebhookEnvelope = z.object({
  webhook: convexToZod(createdWebhook).meta({ id: "CreatedWebhook" }),
});
export const webhookListEnvelope = z.object({ data: z.array(webhookSchema) });
export const attemptPageEnvelope = z.object({
  data: z.array(convexToZod(attemptView).meta({ id: "WebhookAttempt" })),
  nextCursor: z.string().nullable(),
});
export const testEventEnvelope = z.object({ eventId: z.string() });
