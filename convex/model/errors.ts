import { ConvexError } from "convex/values";

/** Machine-readable error codes that functions raise and the REST layer maps to HTTP statuses. */
export type DomainErrorCode =
  | "not_found"
  | "user_not_found"
  | "email_taken"
  | "external_id_taken"
  | "token_identifier_taken"
  | "user_has_payments"
  | "idempotency_conflict"
  | "immutable_field"
  | "unauthenticated"
  | "forbidden";

export type ErrorDetail = { field?: string; message: string };

export type DomainErrorData = {
  code: DomainErrorCode;
  message: string;
  details?: ErrorDetail[];
};

/**
 * Throws a `ConvexError` carrying a domain error. Throwing rolls the mutation back,
 * so a rejected request never leaves a partial write behind.
 */
export function fail(code: DomainErrorCode, message: string, details?: ErrorDetail[]): never {
  const data: DomainErrorData = details ? { code, message, details } : { code, message };
  throw new ConvexError(data);
}

/** Narrows an unknown thrown value to a domain error raised by {@link fail}. */
export function asDomainError(error: unknown): DomainErrorData | null {
  if (!(error instanceof ConvexError)) return null;
  const data: unknown = error.data;
  if (typeof data !== "object" || data === null) return null;
  const { code, message } = data as Record<string, unknown>;
  if (typeof code !== "string" || typeof message !== "string") return null;
  return data as DomainErrorData;
}
