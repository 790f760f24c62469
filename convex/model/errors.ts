import { ConvexError, v, type Infer } from "convex/values";

/** Machine-readable error codes that functions raise and the REST layer maps to HTTP statuses. */
export const domainErrorCode = v.union(
  v.literal("not_found"),
  v.literal("user_not_found"),
  v.literal("email_taken"),
  v.literal("external_id_taken"),
  v.literal("token_identifier_taken"),
  v.literal("user_has_payments"),
  v.literal("idempotency_conflict"),
  v.literal("immutable_field"),
  v.literal("unauthenticated"),
  v.literal("forbidden"),
  v.literal("review_closed"),
  v.literal("invalid_webhook_url"),
  v.literal("webhook_limit"),
  v.literal("webhook_disabled"),
  v.literal("list_name_taken"),
  v.literal("list_in_use"),
  v.literal("rule_name_taken"),
  v.literal("rule_limit_reached"),
  v.literal("invalid_expression"),
  v.literal("validation_failed"),
);
export type DomainErrorCode = Infer<typeof domainErrorCode>;

/** One problem with a request, naming the field when there is one. */
export const errorDetail = v.object({
  field: v.optional(v.string()),
  message: v.string(),
  /** Where in the field's text the problem is (CEL expressions): 0-based offset, 1-based line and column. */
  position: v.optional(v.object({ offset: v.number(), line: v.number(), column: v.number() })),
});
export type ErrorDetail = Infer<typeof errorDetail>;

/** The data of every `ConvexError` a domain rule raises: what crosses function boundaries. */
export const domainErrorData = v.object({
  code: domainErrorCode,
  message: v.string(),
  details: v.optional(v.array(errorDetail)),
});
export type DomainErrorData = Infer<typeof domainErrorData>;

const DOMAIN_CODES: ReadonlySet<string> = new Set(domainErrorCode.members.map((m) => m.value));

/**
 * Throws a `ConvexError` carrying a domain error. Throwing rolls the mutation back,
 * so a rejected request never leaves a partial write behind.
 */
export function fail(code: DomainErrorCode, message: string, details?: ErrorDetail[]): never {
  const data: DomainErrorData = details ? { code, message, details } : { code, message };
  throw new ConvexError(data);
}

/**
 * Narrows an unknown thrown value to a domain error raised by {@link fail}. `ConvexError`
 * data survives `ctx.runQuery` / `ctx.runMutation`, so this works on either side of one.
 */
export function asDomainError(error: unknown): DomainErrorData | null {
  if (!(error instanceof ConvexError)) return null;
  const data: unknown = error.data;
  if (typeof data !== "object" || data === null) return null;
  const { code, message } = data as Record<string, unknown>;
  if (typeof code !== "string" || !DOMAIN_CODES.has(code) || typeof message !== "string") {
    return null;
  }
  return data as DomainErrorData;
}
