/** Every REST path starts with this (the API's version). */
export const API_PREFIX = "/api/v1";
/** The largest request body the API reads. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Page sizes of every list endpoint. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** The URL path of an API resource, e.g. `apiPath("users", id)`. */
export function apiPath(...segments: string[]): string {
  return [API_PREFIX, ...segments.map(encodeURIComponent)].join("/");
}

/**
 * Headers every API response carries: bodies are JSON and never sniffed as anything else, and
 * nothing (payments, customers, keys' answers) is kept by a shared cache.
 */
export const RESPONSE_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-store",
} as const;
