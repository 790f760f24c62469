import type { ErrorDetail } from "../model/errors";

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

/** The error envelope every non-2xx response carries. */
export function errorResponse(error: ApiError): Response {
  const body = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details && error.details.length > 0 ? { details: error.details } : {}),
    },
  };
  return json(error.status, body, error.headers);
}
