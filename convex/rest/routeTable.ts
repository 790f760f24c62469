import type { z } from "zod";
import type { httpAction } from "../_generated/server";
import type { Client } from "./apiKeys";

/** The context an HTTP action receives. */
export type HttpCtx = Parameters<Parameters<typeof httpAction>[0]>[0];

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

/** What a route handler receives once the request has passed auth and rate limiting. */
export type RouteRequest = {
  ctx: HttpCtx;
  request: Request;
  /** The authenticated caller; null on routes that need no key. */
  client: Client | null;
  params: Record<string, string>;
  query: URLSearchParams;
};

export type ResponseSpec = { description: string; schema?: z.ZodType };

/**
 * One endpoint: how it is matched, whether it needs an API key, how it is handled,
 * and what the OpenAPI document says about it (generated from this same entry).
 */
export type Route = {
  method: Method;
  /** Path under `/api/v1`, with `{name}` parameters. */
  path: string;
  auth: boolean;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  headers?: { name: string; description: string }[];
  responses: Record<number, ResponseSpec>;
  handle: (req: RouteRequest) => Promise<Response>;
};

export const API_PREFIX = "/api/v1";

type CompiledRoute = { route: Route; pattern: RegExp; names: string[] };

export type RouteMatch =
  | { kind: "found"; route: Route; params: Record<string, string> }
  | { kind: "method_not_allowed"; allowed: Method[] }
  | { kind: "not_found" };

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

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
