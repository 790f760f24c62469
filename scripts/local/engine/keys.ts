/**
 * Index keys: reading a field path from a document and comparing keys exactly as convex-test
 * 0.0.60 does (its `evaluateFieldPath` + `compareValues` from `convex/values`).
 */
import { compareValues, convexToJson, jsonToConvex, type Value } from "convex/values";

/** A stored document: a plain object with the two system fields. */
export type Doc = { _id: string; _creationTime: number } & Record<string, unknown>;

/** A key value: any Convex value, or undefined for a missing field. */
export type KeyValue = Value | undefined;

/**
 * convex-test's `isSimpleObject`: a plain object (also one from another realm). Field paths
 * only descend through such objects, never through arrays or ArrayBuffers.
 */
export function isSimpleObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return (
    prototype === null ||
    prototype === Object.prototype ||
    (prototype as { constructor?: { name?: string } }).constructor?.name === "Object"
  );
}

export type Getter = (doc: Doc) => KeyValue;

/**
 * A function reading `fieldPath` ("a" or "a.b.c") from a document, like convex-test's
 * `evaluateFieldPath`. convex-test also substitutes unresolved commit-timestamp placeholders by
 * i64::MAX; `compareValues` already orders a placeholder as i64::MAX, so for comparisons the
 * substitution is not needed (committed documents never contain placeholders).
 */
export function fieldGetter(fieldPath: string): Getter {
  const parts = fieldPath.split(".");
  if (parts.length === 1) {
    const [field] = parts;
    return (doc) => doc[field] as KeyValue;
  }
  return (doc) => {
    let result: unknown = doc;
    for (const p of parts) {
      result = isSimpleObject(result) ? result[p] : undefined;
    }
    return result as KeyValue;
  };
}

/**
 * `compareValues` from convex/values, with allocation-free fast paths for the common cases
 * (two numbers, two strings, two bigints); only the sign of the result is meaningful.
 */
export function compareKeyValues(a: KeyValue, b: KeyValue): number {
  const ta = typeof a;
  if (ta === typeof b) {
    if (ta === "number") {
      const x = a as number;
      const y = b as number;
      if (x < y) return -1;
      if (x > y) return 1;
      // Equal and non-zero: 0. NaN and ±0 take the exact (bit-level) path.
      if (x === y && x !== 0) return 0;
    } else if (ta === "string") {
      const x = a as string;
      const y = b as string;
      if (x === y) return 0;
      const n = Math.min(x.length, y.length);
      let i = 0;
      while (i < n && x.charCodeAt(i) === y.charCodeAt(i)) i++;
      if (i === n) return x.length - y.length;
      const cx = x.charCodeAt(i);
      const cy = y.charCodeAt(i);
      // Below the surrogate range UTF-16 order is code point order is UTF-8 byte order.
      if (cx < 0xd800 && cy < 0xd800) return cx - cy;
    } else if (ta === "bigint") {
      const x = a as bigint;
      const y = b as bigint;
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
  return compareValues(a, b);
}

/** Lexicographic comparison of two documents on a list of getters. */
export function docComparator(getters: readonly Getter[]): (a: Doc, b: Doc) => number {
  const n = getters.length;
  return (a, b) => {
    for (let k = 0; k < n; k++) {
      const g = getters[k];
      const c = compareKeyValues(g(a), g(b));
      if (c !== 0) return c;
    }
    return 0;
  };
}

/**
 * Compares the first `tuple.length` key fields of a document with `tuple` (lexicographic).
 * Returns 0 when the document's key starts with `tuple`.
 */
export function comparePrefix(
  getters: readonly Getter[],
  doc: Doc,
  tuple: readonly KeyValue[],
): number {
  for (let k = 0; k < tuple.length; k++) {
    const c = compareKeyValues(getters[k](doc), tuple[k]);
    if (c !== 0) return c;
  }
  return 0;
}

/** One range expression of a serialized `withIndex` query (convex/server's wire format). */
export interface RangeExpression {
  type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte";
  fieldPath: string;
  value: unknown;
}

/**
 * convex-test's `evaluateQueryValue`: `{ $undefined: null }` is undefined, anything else is
 * Convex JSON. (Placeholders are left as they are; `compareValues` orders them as i64::MAX,
 * which is what convex-test's substitution produces.)
 */
export function queryValue(json: unknown): KeyValue {
  if (typeof json === "object" && json !== null && "$undefined" in json) return undefined;
  return jsonToConvex(json as Parameters<typeof jsonToConvex>[0]);
}

/** The range of an index as two monotone predicates over the index order. */
export interface KeyRange {
  /** True for documents at or after the start of the range. */
  lower: (doc: Doc) => boolean;
  /** True for documents past the end of the range. */
  upper: (doc: Doc) => boolean;
}

/**
 * Turns a (validated) index range into predicates. After convex-test's
 * `validateIndexRangeExpression`, the range is: `Eq` on fields[0..k-1], then at most one lower
 * bound (Gt/Gte) and one upper bound (Lt/Lte) on fields[k]. A document matches every expression
 * exactly when `lower(doc) && !upper(doc)`, and since the index is sorted lexicographically on
 * its fields, the matching documents form one contiguous run of the index.
 */
export function keyRange(getters: readonly Getter[], range: readonly RangeExpression[]): KeyRange {
  const eq: KeyValue[] = [];
  let lowerBound: { value: KeyValue; strict: boolean } | null = null;
  let upperBound: { value: KeyValue; strict: boolean } | null = null;
  for (const expr of range) {
    const value = queryValue(expr.value);
    switch (expr.type) {
      case "Eq":
        eq.push(value);
        break;
      case "Gt":
      case "Gte":
        lowerBound = { value, strict: expr.type === "Gt" };
        break;
      case "Lt":
      case "Lte":
        upperBound = { value, strict: expr.type === "Lt" };
        break;
    }
  }
  const low = lowerBound;
  const high = upperBound;
  const lowTuple = low === null ? eq : [...eq, low.value];
  const highTuple = high === null ? eq : [...eq, high.value];
  const lower =
    low !== null && low.strict
      ? (doc: Doc) => comparePrefix(getters, doc, lowTuple) > 0
      : (doc: Doc) => comparePrefix(getters, doc, lowTuple) >= 0;
  // Past the end: beyond the eq prefix, or beyond the upper bound (at it, if strict).
  const upper =
    high !== null && high.strict
      ? (doc: Doc) => comparePrefix(getters, doc, highTuple) >= 0
      : (doc: Doc) => comparePrefix(getters, doc, highTuple) > 0;
  return { lower, upper };
}

/**
 * True if `JSON.stringify(v)` is already the Convex JSON of `v` (up to key order, which no
 * reader observes): only strings, booleans, null, finite numbers other than -0, arrays and plain
 * objects. bigint, bytes, NaN, ±Infinity and -0 need `convexToJson`'s `$` encodings.
 */
function isPlainJson(v: unknown): boolean {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v) && !Object.is(v, -0);
    case "object": {
      if (v === null) return true;
      if (Array.isArray(v)) {
        for (const x of v as unknown[]) if (x === undefined || !isPlainJson(x)) return false;
        return true;
      }
      if (!isSimpleObject(v)) return false;
      for (const k of Object.keys(v)) {
        const x = v[k];
        if (x !== undefined && !isPlainJson(x)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** A document as Convex JSON text (the fast native path when it is plain JSON). */
export function docText(doc: Doc): string {
  return isPlainJson(doc)
    ? JSON.stringify(doc)
    : JSON.stringify(convexToJson(doc as unknown as Value));
}

export function docFromJson(json: unknown): Doc {
  return jsonToConvex(json as Parameters<typeof jsonToConvex>[0]) as unknown as Doc;
}

/** Parses `docText` output. Convex JSON without any `"$` is plain JSON: no conversion needed. */
export function docFromText(text: string): Doc {
  const json: unknown = JSON.parse(text);
  return text.includes('"$') ? docFromJson(json) : (json as Doc);
}
