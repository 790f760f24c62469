import { z } from "zod";
import { API_PREFIX, MAX_BODY_BYTES } from "./constants";
import { errorEnvelope } from "./errors";
import type { Route } from "./route";

type JsonSchema = Record<string, unknown>;

/**
 * Named schemas (zod `.meta({ id })`) collected while converting; they end up in
 * `components.schemas` and are referenced from there.
 */
type NamedSchemas = Record<string, JsonSchema>;

const DEFS_REF = "#/$defs/";
const COMPONENTS_REF = "#/components/schemas/";

/** Rewrites `$ref`s from zod's local `$defs` to the document's `components.schemas`. */
function retarget(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(retarget);
  if (node === null || typeof node !== "object") return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] =
      key === "$ref" && typeof value === "string" && value.startsWith(DEFS_REF)
        ? COMPONENTS_REF + value.slice(DEFS_REF.length)
        : retarget(value);
  }
  return out;
}

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) of a zod schema; named parts go to `named`. */
function jsonSchema(schema: z.ZodType, io: "input" | "output", named: NamedSchemas): JsonSchema {
  const result = z.toJSONSchema(schema, {
    io,
    target: "draft-2020-12",
    reused: "inline",
    unrepresentable: "any",
    override: (ctx) => {
      // Convex ids (`zid`) are custom zod types; on the wire they are strings.
      if (ctx.zodSchema._zod.def.type === "custom") ctx.jsonSchema.type = "string";
    },
  }) as JsonSchema;
  const { $schema: _dialect, $defs, ...rest } = result;
  for (const [name, def] of Object.entries(($defs ?? {}) as NamedSchemas)) {
    named[name] = retarget(def) as JsonSchema;
  }
  return retarget(rest) as JsonSchema;
}

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

function parameters(route: Route, named: NamedSchemas): JsonSchema[] {
  const params: JsonSchema[] = [];
  for (const [, name] of route.path.matchAll(/\{(\w+)\}/g)) {
    params.push({ name, in: "path", required: true, schema: { type: "string" } });
  }
  if (route.query) {
    const schema = jsonSchema(route.query, "input", named);
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((schema.required ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      params.push({ name, in: "query", required: required.has(name), schema: property });
    }
  }
  if (route.headers) {
    const schema = jsonSchema(route.headers, "input", named);
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((schema.required ?? []) as string[]);
    for (const [name, { description, ...property }] of Object.entries(properties)) {
      params.push({
        name,
        in: "header",
        required: required.has(name),
        description,
        schema: property,
      });
    }
  }
  return params;
}

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** e.g. `GET /users/{id}/transactions` -> `getUsersByIdTransactions`. */
function operationId(route: Route): string {
  const words = route.path
    .split("/")
    .filter(Boolean)
    .map((segment) =>
      segment.startsWith("{")
        ? `By${capitalize(segment.slice(1, -1))}`
        : capitalize(segment.replace(/\.(\w+)$/, (_, ext: string) => capitalize(ext))),
    );
  return route.method.toLowerCase() + words.join("");
}

function operation(route: Route, named: NamedSchemas): JsonSchema {
  const responses: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const isError = Number(status) >= 400;
    responses[status] = isError
      ? errorResponse(spec.description)
      : {
          description: spec.description,
          ...(spec.schema
            ? {
                content: {
                  "application/json": { schema: jsonSchema(spec.schema, "output", named) },
                },
              }
            : {}),
        };
  }
  responses["400"] ??= errorResponse(
    route.body
      ? "Invalid query string, header or cursor, or a body that is not valid JSON."
      : "Invalid query string, header or cursor (unknown parameters included).",
  );
  if (route.body) {
    responses["413"] ??= errorResponse(`The body is larger than ${MAX_BODY_BYTES / 1024} KiB.`);
    responses["415"] ??= errorResponse("The body is not application/json.");
    responses["422"] ??= errorResponse("The body fails validation; details name each field.");
  }
  if (route.auth) {
    responses["401"] ??= errorResponse("Missing or invalid API key.");
    responses["429"] ??= errorResponse("Rate limited; see the Retry-After header.");
  }
  responses["500"] ??= errorResponse("An unexpected fault; no internals are returned.");
  return {
    summary: route.summary,
    operationId: operationId(route),
    parameters: parameters(route, named),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: jsonSchema(route.body, "input", named) } },
          },
        }
      : {}),
    responses,
    security: route.auth ? [{ apiKey: [] }] : [],
  };
}

/** The OpenAPI 3.1 document of the REST API, generated from the route table and its zod schemas. */
export function buildOpenApiDocument(routes: Route[]): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  const named: NamedSchemas = {};
  // The error envelope is named ("Error") and referenced by every error response.
  jsonSchema(z.object({ error: errorEnvelope }), "output", named);
  for (const route of routes) {
    const path = `${API_PREFIX}${route.path}`;
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route, named);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Fraud detection API",
      version: "1.0.0",
      description:
        "Record customers and their payments; every payment is scored for fraud in the background.",
    },
    paths,
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer" } },
      schemas: named,
    },
  };
}
