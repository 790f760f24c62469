/**
 * The ordered structure against a model (a sorted array), and key comparison against
 * convex/values' compareValues.
 */
import { compareValues, type Value } from "convex/values";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compareKeyValues, fieldGetter, keyRange, type Doc } from "./keys";
import { RangeCursor, SortedChunkList } from "./sortedList";

const byNumber = (a: number, b: number) => a - b;

type ListOp =
  | { kind: "insert"; x: number }
  | { kind: "delete"; x: number }
  | { kind: "range"; lo: number; hi: number; desc: boolean; after: number | null };

const listOp: fc.Arbitrary<ListOp> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("insert" as const),
      x: fc.integer({ min: 0, max: 300 }),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("delete" as const),
      x: fc.integer({ min: 0, max: 300 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("range" as const),
      lo: fc.integer({ min: -5, max: 305 }),
      hi: fc.integer({ min: -5, max: 305 }),
      desc: fc.boolean(),
      after: fc.option(fc.integer({ min: -5, max: 305 })),
    }),
    weight: 2,
  },
);

describe("SortedChunkList", () => {
  test("matches a sorted array under random inserts, deletes and range walks", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.array(listOp, { maxLength: 400 }),
        (load, ops) => {
          const list = new SortedChunkList<number>(byNumber, load);
          let model: number[] = [];
          for (const op of ops) {
            if (op.kind === "insert") {
              if (model.includes(op.x)) {
                expect(() => list.insert(op.x)).toThrow(/duplicate/);
              } else {
                list.insert(op.x);
                model = [...model, op.x].sort(byNumber);
              }
            } else if (op.kind === "delete") {
              expect(list.delete(op.x)).toBe(model.includes(op.x));
              model = model.filter((y) => y !== op.x);
            } else {
              const { lo, hi, desc, after } = op;
              const cursor = new RangeCursor(
                list,
                (x) => x >= lo,
                (x) => x > hi,
                desc,
                after === null ? undefined : (x) => x - after,
              );
              const got: number[] = [];
              for (let x = cursor.next(); x !== undefined; x = cursor.next()) got.push(x);
              let want = model.filter(
                (x) => x >= lo && x <= hi && (after === null || (desc ? x < after : x > after)),
              );
              if (desc) want = want.reverse();
              expect(got).toEqual(want);
            }
            list.checkInvariants();
          }
          expect(list.toArray()).toEqual(model);
          expect(list.size).toBe(model.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("a cursor re-seeks past its last element when the list changes under it", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 120 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 200 })), { maxLength: 60 }),
        fc.boolean(),
        (initial, changes, desc) => {
          const list = new SortedChunkList<number>(byNumber, 3);
          for (const x of initial) list.insert(x);
          const cursor = new RangeCursor(
            list,
            () => true,
            () => false,
            desc,
          );
          const got: number[] = [];
          let k = 0;
          for (let x = cursor.next(); x !== undefined; x = cursor.next()) {
            got.push(x);
            // Interleave changes, including around the cursor's position.
            const change = changes[k++];
            if (change === undefined) continue;
            const [insert, y] = change;
            if (insert) {
              if (list.find(y) === null) list.insert(y);
            } else {
              list.delete(y);
            }
          }
          // Strictly monotone (no element twice, none out of order) ...
          for (let i = 1; i < got.length; i++) {
            expect(desc ? got[i] < got[i - 1] : got[i] > got[i - 1]).toBe(true);
          }
          // ... and nothing still present that the cursor should have seen was skipped.
          const last = got[got.length - 1];
          const remaining = list.toArray().filter((x) => (desc ? x < last : x > last));
          expect(remaining).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("fromSorted builds the same list as inserts", () => {
    const items = Array.from({ length: 2000 }, (_, k) => k * 3);
    const built = SortedChunkList.fromSorted(items, byNumber, 7);
    built.checkInvariants();
    expect(built.toArray()).toEqual(items);
    built.insert(1);
    built.delete(0);
    built.checkInvariants();
    expect(built.toArray().slice(0, 3)).toEqual([1, 3, 6]);
  });
});

const anyValue: fc.Arbitrary<Value | undefined> = fc.letrec<{ v: Value | undefined }>((tie) => ({
  v: fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 1 },
    { arbitrary: fc.constant(null), weight: 1 },
    { arbitrary: fc.double(), weight: 3 },
    { arbitrary: fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1, -1), weight: 2 },
    { arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), weight: 2 },
    { arbitrary: fc.boolean(), weight: 1 },
    { arbitrary: fc.string({ unit: "binary", maxLength: 4 }), weight: 4 },
    { arbitrary: fc.constantFrom("a", "b", "é", "\u{1F600}", "\uFFFD", "\uD800", ""), weight: 3 },
    {
      arbitrary: fc.uint8Array({ maxLength: 3 }).map((a) => a.buffer),
      weight: 1,
    },
    {
      arbitrary: fc.array(
        tie("v").filter((x) => x !== undefined),
        { maxLength: 3 },
      ),
      weight: 1,
    },
    {
      arbitrary: fc.dictionary(fc.constantFrom("a", "b", "c"), tie("v"), { maxKeys: 2 }),
      weight: 1,
    },
  ),
})).v;

describe("key comparison", () => {
  test("compareKeyValues has the sign of convex/values' compareValues", () => {
    fc.assert(
      fc.property(anyValue, anyValue, (a, b) => {
        expect(Math.sign(compareKeyValues(a, b))).toBe(
          Math.sign(compareValues(a as Value, b as Value)),
        );
        expect(Math.sign(compareKeyValues(a, a))).toBe(0);
      }),
      { numRuns: 5000 },
    );
  });

  test("field paths descend only through plain objects", () => {
    const doc = { _id: "1t", _creationTime: 1, a: { b: { c: 5 } }, arr: [{ b: 1 }], s: "x" } as Doc;
    expect(fieldGetter("a.b.c")(doc)).toBe(5);
    expect(fieldGetter("a.b")(doc)).toEqual({ c: 5 });
    expect(fieldGetter("arr.0")(doc)).toBeUndefined();
    expect(fieldGetter("s.length")(doc)).toBeUndefined();
    expect(fieldGetter("missing.x")(doc)).toBeUndefined();
  });

  test("a key range matches exactly the documents every range expression accepts", () => {
    const fields = ["f", "g", "_creationTime", "_id"];
    const getters = fields.map(fieldGetter);
    const small = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(null), fc.constant("a"));
    fc.assert(
      fc.property(
        fc.array(fc.record({ f: small, g: small }, { requiredKeys: [] }), { maxLength: 30 }),
        fc.integer({ min: 0, max: 2 }),
        fc.option(fc.tuple(fc.constantFrom("Gt", "Gte"), small)),
        fc.option(fc.tuple(fc.constantFrom("Lt", "Lte"), small)),
        fc.tuple(small, small),
        (raw, eqs, lo, hi, eqValues) => {
          const docs: Doc[] = raw.map((r, k) => ({ ...r, _id: `${k}t`, _creationTime: k }));
          const range = [
            ...eqValues.slice(0, eqs).map((value, k) => ({
              type: "Eq" as const,
              fieldPath: fields[k],
              value,
            })),
            ...(eqs < 2 && lo !== null
              ? [{ type: lo[0], fieldPath: fields[eqs], value: lo[1] }]
              : []),
            ...(eqs < 2 && hi !== null
              ? [{ type: hi[0], fieldPath: fields[eqs], value: hi[1] }]
              : []),
          ];
          const { lower, upper } = keyRange(getters, range);
          for (const doc of docs) {
            const expected = range.every((r) => {
              const c = compareValues(doc[r.fieldPath] as Value, r.value);
              return r.type === "Eq"
                ? c === 0
                : r.type === "Gt"
                  ? c > 0
                  : r.type === "Gte"
                    ? c >= 0
                    : r.type === "Lt"
                      ? c < 0
                      : c <= 0;
            });
            expect(lower(doc) && !upper(doc)).toBe(expected);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
