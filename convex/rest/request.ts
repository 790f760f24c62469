import type { z } from "zod";
import type { ErrorDetail } from "../model/errors";
import { MAX_BODY_BYTES } from "./constants";
import { ApiError } from "./errors";

/**
 * Parsing of everything a request carries, for the dispatcher: the query string, the declared
 * headers and the JSON body, each against its route's zod schema, each failure a 4xx envelope.
 */

/** Turns zod issues into `details` entries that name each offending field. */
export function issuesToDetails(issues: readonly z.core.$ZodIssue[]): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of issues) {
    const prefix = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        details.push({ field: prefix ? `${prefix}.${key}` : key, message: "unknown field" });
      }
    } else {
      details.push(prefix ? { field: prefix, message: issue.message } : { message: issue.message });
    }
  }
  return details;
}

/**
 * A schema's issue may name the error code the envelope carries, e.g. `immutable_field`:
 * `refine(..., { params: { code: "immutable_field", summary: "..." } })`.
 */
type CodedParams = { code: string; summary: string };

function codedIssues(issues: readonly z.core.$ZodIssue[]) {
  const coded = issues.filter(
    (i): i is z.core.$ZodIssueCustom =>
      i.code === "custom" &&
      typeof (i.params as Partial<CodedParams> | undefined)?.code === "string",
  );
  if (coded.length === 0) return null;
  return { params: coded[0].params as CodedParams, issues: coded };
}

function isJsonContentType(header: string | null): boolean {
  if (!header) return false;
  const mediaType = header.split(";")[0].trim().toLowerCase();
  return mediaType === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

/**
 * Reads a JSON request body: 415 unless the content type is JSON, 413 past
 * {@link MAX_BODY_BYTES}, 400 when it does not parse.
 */
export async function readJsonBody(request: Request): Promise<unknown> {
  if (!isJsonContentType(request.headers.get("content-type"))) {
    throw new ApiError(415, "unsupported_media_type", "Send the body as application/json.");
  }
  const tooLarge = new ApiError(
    413,
    "payload_too_large",
    `The body must be at most ${MAX_BODY_BYTES} bytes.`,
  );
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw tooLarge;
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, "malformed_json", "The body is not valid UTF-8.");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, "malformed_json", "The body is not valid JSON.");
  }
}

/** Validates a parsed body; 422 with one detail per failing field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const coded = codedIssues(result.error.issues);
  if (coded) {
    throw new ApiError(422, coded.params.code, coded.params.summary, issuesToDetails(coded.issues));
  }
  throw new ApiError(
    422,
    "validation_failed",
    "The request body is invalid.",
    issuesToDetails(result.error.issues),
  );
}

/** Validates the query string; repeated parameters and unknown ones are a 400. */
export function parseQuery<S extends z.ZodType>(schema: S, params: URLSearchParams): z.output<S> {
  const raw: Record<string, string> = {};
  const repeated: ErrorDetail[] = [];
  for (const [key, value] of params) {
    if (key in raw) repeated.push({ field: key, message: "given more than once" });
    raw[key] = value;
  }
  const result = schema.safeParse(raw);
  if (repeated.length > 0 || !result.success) {
    throw new ApiError(400, "invalid_query", "The query string is invalid.", [
      ...repeated,
      ...(result.success ? [] : issuesToDetails(result.error.issues)),
    ]);
  }
  return result.data;
}

/** Validates the headers a route declares (keys of its schema, e.g. `Idempotency-Key`); 400. */
export function parseHeaders<S extends z.ZodObject>(schema: S, headers: Headers): z.output<S> {
  const raw: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = headers.get(name);
    if (value !== null) raw[name] = value;
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const details = issuesToDetails(result.error.issues);
    const names = [...new Set(details.map((d) => d.field))].join(", ");
    throw new ApiError(400, "invalid_header", `Invalid header: ${names}.`, details);
  }
  return result.data;
}
