import { apiKeys } from "../config";
import { asDomainError } from "../model/errors";
import { authenticate } from "./apiKeys";
import { API_PREFIX, RESPONSE_HEADERS } from "./constants";
import { ApiError, errorResponse, json, INTERNAL_ERROR, STATUS_BY_DOMAIN_CODE } from "./errors";
import { enforceRateLimit } from "./rateLimit";
import { parseBody, parseHeaders, parseQuery, readJsonBody } from "./request";
import { compileRoutes, type HttpCtx } from "./route";
import { routes } from "./routes";

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
  return json(500, INTERNAL_ERROR);
}

function withResponseHeaders(response: Response): Response {
  for (const [name, value] of Object.entries(RESPONSE_HEADERS)) response.headers.set(name, value);
  return response;
}

/**
 * Serves every API request, in this order: route matching (404 / 405), API key (401),
 * rate limit (429), query string (400), declared headers (400), body (415 / 413 / 400 / 422),
 * then the route's handler with typed values. Health and the OpenAPI document need no key.
 */
export async function handleApiRequest(ctx: HttpCtx, request: Request): Promise<Response> {
  return withResponseHeaders(await dispatch(ctx, request));
}

async function dispatch(ctx: HttpCtx, request: Request): Promise<Response> {
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
    const { route, params } = match;
    let client = null;
    if (route.auth) {
      client = await authenticate(request, apiKeys());
      await enforceRateLimit(ctx, client);
    }
    const query = parseQuery(route.query, url.searchParams);
    const headers = route.headers ? parseHeaders(route.headers, request.headers) : undefined;
    const rawBody = route.body ? await readJsonBody(request) : undefined;
    const body = route.body ? parseBody(route.body, rawBody) : undefined;
    return await route.handle({ ctx, request, client, params, query, headers, body, rawBody });
  } catch (error) {
    return toErrorResponse(error);
  }
}
