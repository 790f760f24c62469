import { z } from "zod";
import type { httpAction } from "../_generated/server";
import type { Client } from "./apiKeys";

/** The context an HTTP action receives. */
export type HttpCtx = Parameters<Parameters<typeof httpAction>[0]>[0];

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

/** `"/users/{id}/transactions"` -> `"id"`. */
type ParamNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? Name | ParamNames<Rest>
  : never;

/** No query parameters: anything in the query string is a 400. */
export const emptyQuery = z.strictObject({});

export type ResponseSpec = { description: string; schema?: z.ZodType };

/**
 * What a handler receives: everything the route declares, parsed and validated by the
 * dispatcher before the handler runs.
 */
export type RouteInput<
  Path extends string,
  Auth extends boolean,
  Query extends z.ZodType,
  Body extends z.ZodType | undefined,
  Headers extends z.ZodObject | undefined,
> = {
  ctx: HttpCtx;
  request: Request;
  /** The caller whose API key was verified (routes with `auth: true`). */
  client: Auth extends true ? Client : null;
  params: Record<ParamNames<Path>, string>;
  query: z.output<Query>;
  body: Body extends z.ZodType ? z.output<Body> : undefined;
  /** The body as parsed JSON, before validation (idempotency hashes it). */
  rawBody: unknown;
  headers: Headers extends z.ZodObject ? z.output<Headers> : undefined;
};

/**
 * One endpoint, declared once: how it is matched, whether it needs an API key, the schemas of
 * its query string, headers and body, its responses, and its handler. The dispatcher and the
 * OpenAPI document both read this one declaration.
 */
export type RouteDefinition<
  Path extends string,
  Auth extends boolean,
  Query extends z.ZodType,
  Body extends z.ZodType | undefined,
  Headers extends z.ZodObject | undefined,
> = {
  method: Method;
  /** Path under the API prefix, with `{name}` parameters (each matches one segment). */
  path: Path;
  auth: Auth;
  summary: string;
  /** Default: no parameters allowed. */
  query?: Query;
  body?: Body;
  /** Header names (as documented, e.g. `Idempotency-Key`) and their schemas. */
  headers?: Headers;
  /** Success and route-specific error responses; the common 4xx/5xx are added. */
  responses: Record<number, ResponseSpec>;
  handle: (input: RouteInput<Path, Auth, Query, Body, Headers>) => Promise<Response>;
};

/** A route as the dispatcher and the OpenAPI generator see it. */
export type Route = Omit<
  RouteDefinition<string, boolean, z.ZodType, z.ZodType | undefined, z.ZodObject | undefined>,
  "query" | "handle"
> & {
  query: z.ZodType;
  handle: (
    input: RouteInput<string, boolean, z.ZodType, z.ZodType | undefined, z.ZodObject | undefined>,
  ) => Promise<Response>;
};

/** Declares a route; its handler's input is typed from the schemas it declares. */
export function defineRoute<
  const Path extends string,
  Auth extends boolean,
  Query extends z.ZodType = typeof emptyQuery,
  Body extends z.ZodType | undefined = undefined,
  Headers extends z.ZodObject | undefined = undefined,
>(definition: RouteDefinition<Path, Auth, Query, Body, Headers>): Route {
  return { ...definition, query: definition.query ?? emptyQuery };
}

type CompiledRoute = { route: Route; pattern: RegExp; names: string[] };

export type RouteMatch =
  | { kind: "found"; route: Route; params: Record<string, string> }
  | { kind: "method_not_allowed"; allowed: Method[] }
  | { kind: "not_found" };

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Matches request paths against a route table; path parameters match one segment. */
export function compileRoutes(routes: Route[]): (method: string, path: string) => RouteMatch {
  const compiled: CompiledRoute[] = routes.map((route) => {
    const names: string[] = [];
    const source = route.path.replace(/[.]/g, "\\.").replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return "([^/]+)";
    });
    return { route, pattern: new RegExp(`^${source}/?$`), names };
  });
  return (method, path) => {
    const allowed: Method[] = [];
    for (const { route, pattern, names } of compiled) {
      const match = pattern.exec(path);
      if (!match) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        params[name] = safeDecode(match[i + 1]);
      });
      return { kind: "found", route, params };
    }
    return allowed.length > 0 ? { kind: "method_not_allowed", allowed } : { kind: "not_found" };
  };
}
