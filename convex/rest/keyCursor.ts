import { ApiError } from "./errors";

/**
 * Cursors of lists ordered by one string key (lists by name, items by value): the last key
 * returned, as base64url of its UTF-8 bytes, so any value travels in a URL.
 */

/** Wraps the last key of a page. */
export function encodeKeyCursor(key: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(JSON.stringify([key]))) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Unwraps a cursor; a 400 `invalid_cursor` if it was not one of ours. */
export function decodeKeyCursor(cursor: string | undefined): string | null {
  if (cursor === undefined) return null;
  const invalid = new ApiError(400, "invalid_cursor", "The cursor is not valid.", [
    { field: "cursor", message: "use the nextCursor of a previous page" },
  ]);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid;
  try {
    const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (Array.isArray(value) && value.length === 1 && typeof value[0] === "string") {
      return value[0];
    }
  } catch {
    // falls through to the 400
  }
  throw invalid;
}

/** A page whose cursor is wrapped for a URL. */
export function withKeyCursor<P extends { nextCursor: string | null }>(page: P): P {
  return {
    ...page,
    nextCursor: page.nextCursor === null ? null : encodeKeyCursor(page.nextCursor),
  };
}
