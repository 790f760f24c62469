import { v, type Infer } from "convex/values";

/**
 * Who made a change: an API key (by its configured name, or `key_` and the first 16 hex digits
 * of its SHA-256 when it has none; never the key), a signed-in identity (dashboard), or the
 * system itself (scoring opening a review, the webhook sender disabling an endpoint).
 */
export const auditActor = v.union(
  v.object({ kind: v.literal("apiKey"), name: v.string() }),
  v.object({ kind: v.literal("identity"), tokenIdentifier: v.string() }),
  v.object({ kind: v.literal("system"), name: v.string() }),
);
export type AuditActor = Infer<typeof auditActor>;

/** What an audit event is about. Rules and lists are written by the rules domain. */
export const auditTargetType = v.union(
  v.literal("payment"),
  v.literal("review"),
  v.literal("rule"),
  v.literal("list"),
  v.literal("listItem"),
  v.literal("webhook"),
);
export type AuditTargetType = Infer<typeof auditTargetType>;

export const auditTarget = v.object({ type: auditTargetType, id: v.string() });
export type AuditTarget = Infer<typeof auditTarget>;

/**
 * A snapshot of the fields an action changed (`null` when there was nothing before or after).
 * Its shape depends on the action, hence `any`: the trail records what the document held.
 */
export const auditSnapshot = v.union(v.null(), v.any());

/** The fields of one audit event; `action` is `<target type>.<verb>`, e.g. `payment.labeled`. */
export const auditEventFields = {
  at: v.number(),
  actor: auditActor,
  action: v.string(),
  target: auditTarget,
  before: auditSnapshot,
  after: auditSnapshot,
};

export const auditEventView = v.object({ id: v.string(), ...auditEventFields });
export type AuditEventView = Infer<typeof auditEventView>;

export const auditFilter = v.object({
  targetType: v.optional(auditTargetType),
  targetId: v.optional(v.string()),
  action: v.optional(v.string()),
});
export type AuditFilter = Infer<typeof auditFilter>;

export const auditPage = v.object({
  data: v.array(auditEventView),
  nextCursor: v.union(v.string(), v.null()),
});
export type AuditPage = Infer<typeof auditPage>;
