import { mergedStream, stream } from "convex-helpers/server/stream";
import type { Doc, Id } from "../../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../../_generated/server";
import { webhookAllowLocalhost } from "../../config";
import { disableFailingEndpoint } from "./endpoints";
import { enqueueAttempt } from "./events";
import { webhookPool } from "./pool";
import { MAX_CONSECUTIVE_FAILURES, nextAttemptAt } from "./retry";
import schema from "../../schema";
import { webhookUrlProblem } from "./urls";
import type { AttemptInput, AttemptOutcome, AttemptView } from "./validators";

/**
 * The database side of a delivery attempt. The job (`webhookDelivery.send`) reads one query
 * (`attemptInputFor`) and returns its outcome; the pool's `onComplete` records it here
 * (`recordAttempt`), only while the delivery is pending, so a late or repeated completion
 * never records twice.
 */

/** Everything one attempt needs: the endpoint's URL and secret and the event's signed body. */
export async function attemptInputFor(
  ctx: QueryCtx,
  deliveryId: Id<"webhookDeliveries">,
): Promise<AttemptInput> {
  const delivery = await ctx.db.get("webhookDeliveries", deliveryId);
  if (!delivery || delivery.status !== "pending") return { kind: "skipped", reason: "settled" };
  const endpoint = await ctx.db.get("webhookEndpoints", delivery.endpointId);
  if (!endpoint) return { kind: "skipped", reason: "the endpoint was deleted" };
  if (!endpoint.enabled) return { kind: "skipped", reason: "the endpoint is disabled" };
  // Checked again here: the setting may have changed since the endpoint was saved.
  const problem = webhookUrlProblem(endpoint.url, { allowLocalhost: webhookAllowLocalhost() });
  if (problem) return { kind: "skipped", reason: `the URL ${problem}` };
  const event = await ctx.db.get("webhookEvents", delivery.event);
  if (!event) return { kind: "skipped", reason: "the event is gone" };
  return {
    kind: "ready",
    url: endpoint.url,
    secret: endpoint.secret,
    eventId: event.eventId,
    body: event.body,
  };
}

async function countSettled(
  ctx: MutationCtx,
  delivery: Doc<"webhookDeliveries">,
  delivered: boolean,
): Promise<void> {
  const endpoint = await ctx.db.get("webhookEndpoints", delivery.endpointId);
  if (!endpoint) return;
  if (delivered) {
    if (endpoint.consecutiveFailures > 0) {
      await ctx.db.patch("webhookEndpoints", endpoint._id, { consecutiveFailures: 0 });
    }
    return;
  }
  const failures = endpoint.consecutiveFailures + 1;
  await ctx.db.patch("webhookEndpoints", endpoint._id, { consecutiveFailures: failures });
  if (failures >= MAX_CONSECUTIVE_FAILURES) await disableFailingEndpoint(ctx, endpoint._id);
}

/**
 * Records one attempt's outcome: `delivered` on a 2xx; otherwise the next attempt on the
 * schedule, or `failed` once it is exhausted (20 failed deliveries in a row disable the
 * endpoint). A skipped attempt cancels the delivery. `random` draws the jitter.
 */
export async function recordAttempt(
  ctx: MutationCtx,
  deliveryId: Id<"webhookDeliveries">,
  outcome: AttemptOutcome,
  random: () => number = Math.random,
): Promise<void> {
  const delivery = await ctx.db.get("webhookDeliveries", deliveryId);
  if (!delivery || delivery.status !== "pending") return;
  if (outcome.kind === "skipped") {
    await ctx.db.patch("webhookDeliveries", deliveryId, {
      status: "canceled",
      nextAttemptAt: undefined,
      checkAt: undefined,
    });
    return;
  }
  const attempt = delivery.attempts + 1;
  const next = outcome.ok
    ? null
    : nextAttemptAt(delivery.createdAt, outcome.finishedAt, attempt, random());
  await ctx.db.insert("webhookAttempts", {
    delivery: deliveryId,
    endpointId: delivery.endpointId,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    attempt,
    status: outcome.ok ? "succeeded" : "failed",
    responseCode: outcome.responseCode,
    error: outcome.error,
    startedAt: outcome.startedAt,
    finishedAt: outcome.finishedAt,
    nextAttemptAt: next ?? undefined,
  });
  if (outcome.ok) {
    await ctx.db.patch("webhookDeliveries", deliveryId, {
      status: "delivered",
      attempts: attempt,
      deliveredAt: outcome.finishedAt,
      nextAttemptAt: undefined,
      checkAt: undefined,
    });
    await countSettled(ctx, delivery, true);
  } else if (next !== null) {
    await ctx.db.patch("webhookDeliveries", deliveryId, { attempts: attempt, nextAttemptAt: next });
    await enqueueAttempt(ctx, deliveryId, next);
  } else {
    await ctx.db.patch("webhookDeliveries", deliveryId, {
      status: "failed",
      attempts: attempt,
      nextAttemptAt: undefined,
      checkAt: undefined,
    });
    await countSettled(ctx, delivery, false);
  }
}

/**
 * An endpoint's attempts, newest first, one page at a time; each with where its delivery
 * stands now. The cursor is `[startedAt, _creationTime, _id]`. Reads at most `numItems` (+1)
 * attempts and one delivery each.
 */
export async function listAttempts(
  ctx: QueryCtx,
  endpointId: Id<"webhookEndpoints">,
  page: { numItems: number; cursor: string | null },
): Promise<{ data: AttemptView[]; nextCursor: string | null }> {
  const attempts = stream(ctx.db, schema)
    .query("webhookAttempts")
    .withIndex("by_endpointId_and_startedAt", (q) => q.eq("endpointId", endpointId))
    .order("desc");
  const result = await mergedStream([attempts], ["startedAt"]).paginate(page);
  const data: AttemptView[] = [];
  for (const a of result.page) {
    const delivery = await ctx.db.get("webhookDeliveries", a.delivery);
    data.push({
      id: a._id,
      deliveryId: a.delivery,
      eventId: a.eventId,
      eventType: a.eventType,
      attempt: a.attempt,
      status: a.status,
      deliveryStatus: delivery?.status ?? "canceled",
      responseCode: a.responseCode ?? null,
      error: a.error ?? null,
      startedAt: a.startedAt,
      finishedAt: a.finishedAt,
      nextAttemptAt: a.nextAttemptAt ?? null,
    });
  }
  return { data, nextCursor: result.isDone ? null : result.continueCursor };
}

/** Deliveries looked at per watchdog run; the next run picks up the rest. */
const WATCHDOG_BATCH = 100;

/**
 * What the pool can lose (an `onComplete` that failed, a job that vanished): pending deliveries
 * past their check time whose job the pool reports finished get the same attempt enqueued
 * again (same event, same `webhook-id`). Jobs the pool still has are left alone, so there is
 * never a second job beside a live one. Reads at most 100 deliveries. Returns how many it
 * enqueued.
 */
export async function recoverLostAttempts(ctx: MutationCtx): Promise<number> {
  const now = Date.now();
  const overdue = await ctx.db
    .query("webhookDeliveries")
    .withIndex("by_status_and_checkAt", (q) =>
      q.eq("status", "pending").gte("checkAt", 0).lte("checkAt", now),
    )
    .take(WATCHDOG_BATCH);
  const statuses = await webhookPool().statusBatch(
    ctx,
    overdue.flatMap((d) => (d.workId ? [d.workId] : [])),
  );
  let k = 0;
  let recovered = 0;
  for (const delivery of overdue) {
    const status = delivery.workId ? statuses[k++] : undefined;
    if (status !== undefined && status.state !== "finished") continue;
    await enqueueAttempt(ctx, delivery._id);
    recovered += 1;
  }
  return recovered;
}
