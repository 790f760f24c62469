import { httpRouter } from "convex/server";
import { corsRouter } from "convex-helpers/server/cors";
import { httpAction } from "./_generated/server";
import { corsOrigins } from "./config";
import { handleApiRequest } from "./rest/dispatch";
import { API_PREFIX } from "./rest/constants";

/** Every REST request goes through one dispatcher, which also answers 404 and 405 in JSON. */
const api = httpAction(async (ctx, request) => await handleApiRequest(ctx, request));

const http = httpRouter();
const cors = corsRouter(http, {
  allowedOrigins: () => Promise.resolve(corsOrigins()),
  allowedHeaders: ["Content-Type", "Authorization", "Idempotency-Key", "Prefer"],
  exposedHeaders: ["Retry-After", "Location", "Idempotent-Replayed", "Preference-Applied"],
});

for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"] as const) {
  cors.route({ path: API_PREFIX, method, handler: api });
  cors.route({ pathPrefix: `${API_PREFIX}/`, method, handler: api });
}

export default http;
