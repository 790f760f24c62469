import { apiKeys } from "../config";
import { asDomainError, type DomainErrorCode } from "../model/errors";
import { authenticate } from "./apiKeys";
import { enforceRateLimit } from "./rateLimit";
import { ApiError, errorResponse } from "./responses";
import { API_PREFIX, compileRoutes, type HttpCtx } from "./routeTable";
import { routes } from "./routes";

const STATUS_BY_DOMAIN_CODE: Record<DomainErrorCode, number> = {
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
};

const matchRoute = compileRoutes(routes);

/** Maps anything a handler threw to an error envelope; internals never leave the server. */
function toErrorResponse(error: unknown): Response {
  if (error instanceof ApiError) return errorResponse(error);
  const domain = asDomainError(error);
  if (domain) {
    const status = STATUS_BY_DOMAIN_CODE[domain.code];
    return errorResponse(new ApiError(status, domain.code, domain.message, domain.details));
  }
  console.error("Unhandled error in REST API", error);
  return errorResponse(new ApiError(500, "internal_error", "Something went wrong on our side."));
}

/**
 * Serves every `/api/v1` request: route matching (404 / 405), API key (401),
 * rate limit (429), then the route's handler. Health and the OpenAPI document need
 * no key.
 */
export async function handleApiRequest(ctx: HttpCtx, request: Request): Promise<Response> {
  try {
    const url = new URL(request.url);
    const path = url.pathname.startsWith(`${API_PREFIX}/`)
      ? url.pathname.slice(API_PREFIX.length)
      : null;
    const match = path === null ? { kind: "not_found" as const } : matchRoute(request.method, path);
    if (match.kind === "not_found") {
      throw new ApiError(404, "route_not_found", `No endpoint at ${url.pathname}.`);
    }
    if (match.kind === "method_not_allowed") {
      throw new ApiError(
        405,
        "method_not_allowed",
        `${request.method} is not allowed here; use ${match.allowed.join(", ")}.`,
        undefined,
        { Allow: match.allowed.join(", ") },
      );
    }
    let client = null;
    if (match.route.auth) {
      client = await authenticate(request, apiKeys());
      await enforceRateLimit(ctx, client);
    }
    return await match.route.handle({
      ctx,
      request,
      client,
      params: match.params,
      query: url.searchParams,
    });
  } catch (error) {
    return toErrorResponse(error);
  }
}
