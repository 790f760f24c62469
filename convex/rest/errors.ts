import { z } from "zod";
import type { DomainErrorCode, ErrorDetail } from "../model/errors";

/**
 * The error envelope every non-2xx response carries. This one schema types the responses,
 * documents them in the OpenAPI document, and is what local mode's bridge sends too.
 */
export const errorEnvelope = z
  .object({
    error: z.object({
      code: z.string().meta({ examples: ["validation_failed"] }),
      message: z.string(),
      details: z
        .array(
          z.object({
            field: z.string().optional(),
            message: z.string(),
            position: z
              .object({ offset: z.number(), line: z.number(), column: z.number() })
              .optional(),
          }),
        )
        .optional()
        .meta({ description: "One entry per problem, naming the field when there is one." }),
    }),
  })
  .meta({ id: "Error" });
export type ErrorEnvelope = z.infer<typeof errorEnvelope>;

/** An error that ends a request with a JSON error envelope and a 4xx status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The HTTP status of each domain error code raised by the Convex functions. */
export const STATUS_BY_DOMAIN_CODE: Record<DomainErrorCode, number> = {
  not_found: 404,
  user_not_found: 422,
  email_taken: 409,
  external_id_taken: 409,
  token_identifier_taken: 409,
  user_has_payments: 409,
  idempotency_conflict: 409,
  immutable_field: 422,
  unauthenticated: 401,
  forbidden: 403,
  review_closed: 409,
  invalid_webhook_url: 422,
  webhook_limit: 409,
  webhook_disabled: 409,
  list_name_taken: 409,
  list_in_use: 409,
  rule_name_taken: 409,
  rule_limit_reached: 409,
  invalid_expression: 422,
  validation_failed: 422,
};

/** The envelope's body for an error. */
export function errorBody(code: string, message: string, details?: ErrorDetail[]): ErrorEnvelope {
  return {
    error: { code, message, ...(details && details.length > 0 ? { details } : {}) },
  };
}

/** A JSON response; `null` bodies give an empty response (204). */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  if (body === null) return new Response(null, { status, headers });
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", ...headers },
  });
}

/** The response for an `ApiError`. */
export function errorResponse(error: ApiError): Response {
  return json(error.status, errorBody(error.code, error.message, error.details), error.headers);
}

/** The 500 answer: no internals ever leave the server. */
export const INTERNAL_ERROR = errorBody("internal_error", "Something went wrong on our side.");
