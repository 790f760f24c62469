import { mergedStream, stream, type QueryStream } from "convex-helpers/server/stream";
import type { Doc } from "../../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../../_generated/server";
import schema from "../../schema";
import type { AuditActor, AuditEventView, AuditFilter, AuditPage, AuditTarget } from "./validators";

/** One change, as its mutation describes it. */
export type AuditChange = {
  actor: AuditActor;
  /** `<target type>.<verb>`, e.g. `payment.labeled`, `review.resolved`, `webhook.disabled`. */
  action: string;
  target: AuditTarget;
  before: unknown;
  after: unknown;
};

/**
 * Appends one audit event. Call it in the mutation that makes the change, so the change and
 * its record commit together or not at all. `undefined` snapshots are stored as `null`.
 */
export async function recordAudit(ctx: MutationCtx, change: AuditChange): Promise<void> {
  await ctx.db.insert("auditEvents", {
    at: Date.now(),
    actor: change.actor,
    action: change.action,
    target: change.target,
    before: change.before ?? null,
    after: change.after ?? null,
  });
}

/** The public shape of an audit event. */
export function toAuditEventView(doc: Doc<"auditEvents">): AuditEventView {
  const { _id, _creationTime: _created, ...fields } = doc;
  return { id: _id, ...fields };
}

function auditStream(ctx: QueryCtx, filter: AuditFilter): QueryStream<Doc<"auditEvents">> {
  const db = stream(ctx.db, schema).query("auditEvents");
  const { targetType, targetId, action } = filter;
  if (targetType !== undefined && targetId !== undefined && action !== undefined) {
    return db
      .withIndex("by_target_and_action_and_at", (q) =>
        q.eq("target.type", targetType).eq("target.id", targetId).eq("action", action),
      )
      .order("desc");
  }
  if (targetType !== undefined && targetId !== undefined) {
    return db
      .withIndex("by_target_and_at", (q) =>
        q.eq("target.type", targetType).eq("target.id", targetId),
      )
      .order("desc");
  }
  if (targetType !== undefined && action !== undefined) {
    return db
      .withIndex("by_targetType_and_action_and_at", (q) =>
        q.eq("target.type", targetType).eq("action", action),
      )
      .order("desc");
  }
  if (targetType !== undefined) {
    return db
      .withIndex("by_targetType_and_at", (q) => q.eq("target.type", targetType))
      .order("desc");
  }
  if (action !== undefined) {
    return db.withIndex("by_action_and_at", (q) => q.eq("action", action)).order("desc");
  }
  return db.withIndex("by_at").order("desc");
}

/**
 * Audit events newest first, filtered by target and/or action, one page at a time. A target id
 * needs its type (the REST layer checks). Reads at most `numItems` (+1) events.
 * The cursor is `[at, _creationTime, _id]` whatever the index (a merged stream strips the
 * equality prefix), so the REST layer can validate it.
 */
export async function listAudit(
  ctx: QueryCtx,
  filter: AuditFilter,
  page: { numItems: number; cursor: string | null },
): Promise<AuditPage> {
  const result = await mergedStream([auditStream(ctx, filter)], ["at"]).paginate(page);
  return {
    data: result.page.map(toAuditEventView),
    nextCursor: result.isDone ? null : result.continueCursor,
  };
}
