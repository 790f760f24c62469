import { z } from "zod";
import type { PaymentPage } from "../model/payments/validators";
import { ApiError } from "./errors";

/**
 * List cursors travel as opaque base64url strings. Inside is the position of the
 * last item returned, `[timestamp, paymentId, _creationTime, _id]`, which the
 * merged list streams resume after.
 */
const position = z.tuple([
  z.number().finite(),
  z.string().max(64),
  z.number().finite(),
  z.string().max(64),
]);

function toBase64Url(text: string): string {
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Wraps a list continuation cursor for use in a URL. */
export function encodeCursor(streamCursor: string): string {
  return toBase64Url(streamCursor);
}

/** Unwraps a cursor from a query string; a 400 `invalid_cursor` if it was not one of ours. */
export function decodeCursor(cursor: string): string {
  const invalid = new ApiError(400, "invalid_cursor", "The cursor is not valid.", [
    { field: "cursor", message: "use the nextCursor of a previous page" },
  ]);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid;
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw invalid;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid;
  }
  const parsed = position.safeParse(value);
  if (!parsed.success) throw invalid;
  return JSON.stringify(parsed.data);
}

/** The cursor inside a REST page is wrapped so it can travel in a URL. */
export function withUrlCursor(page: PaymentPage): PaymentPage {
  return { ...page, nextCursor: page.nextCursor === null ? null : encodeCursor(page.nextCursor) };
}

/**
 * Decodes a cursor of a list ordered by one numeric field (audit events by `at`, reviews by
 * `openedAt` or `resolvedAt`, deliveries by `createdAt`): inside is `[value, _creationTime, _id]`.
 * A 400 `invalid_cursor` when it was not one of ours.
 */
export function decodeNumericCursor(cursor: string): string {
  const invalid = new ApiError(400, "invalid_cursor", "The cursor is not valid.", [
    { field: "cursor", message: "use the nextCursor of a previous page" },
  ]);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid;
  let value: unknown;
  try {
    value = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    throw invalid;
  }
  const parsed = numericPosition.safeParse(value);
  if (!parsed.success) throw invalid;
  return JSON.stringify(parsed.data);
}

const numericPosition = z.tuple([z.number().finite(), z.number().finite(), z.string().max(64)]);

/** A page of any list whose `nextCursor` comes from a stream, made URL-safe. */
export function withEncodedCursor<P extends { nextCursor: string | null }>(page: P): P {
  return { ...page, nextCursor: page.nextCursor === null ? null : encodeCursor(page.nextCursor) };
}
