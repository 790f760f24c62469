/**
 * Differential test: random schemas, random write sequences (inside mutations, with reads of
 * own writes, nested mutations, snapshot queries, rollbacks) and random queries (index ranges
 * with random bounds, order, take/first/unique/iteration, filters, pagination across pages with
 * random page sizes, end cursors and row limits) give identical results -- values, errors,
 * cursors, isDone, splitCursor, pageStatus -- on stock convex-test and on the indexed engine.
 *
 * DIFF_RUNS=1000 npx vitest run --project scripts scripts/local/engine/differential.test.ts
 * runs a longer soak (default 120 cases).
 */
import { convexTest } from "convex-test";
import { defineSchema, defineTable } from "convex/server";
import { convexToJson, v, type Value } from "convex/values";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  applyRef,
  COMMIT_TS,
  pageRef,
  REMOVE,
  runRef,
  UNDEFINED,
  type FilterSpec,
  type Op,
  type QuerySpec,
  type RangeOp,
} from "./fixtures/diff";
import { modules } from "./fixtures/modules";
import { createLocalEngine } from "./index";

const RUNS = Number(process.env.DIFF_RUNS ?? 300);
const LARGE_RUNS = Number(process.env.DIFF_LARGE_RUNS ?? 6);
const BASE_TIME = 1_750_000_000_000;
const INDEXABLE = ["f0", "f1", "f2", "o.x"] as const;

interface TableSpec {
  name: string;
  indexes: Array<{ name: string; fields: string[] }>;
}

// ---------------------------------------------------------------- values

const bytes = fc
  .uint8Array({ maxLength: 2 })
  .map((a) => a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
const anyScalar: fc.Arbitrary<Value> = fc.oneof(
  { arbitrary: fc.integer({ min: -1, max: 3 }), weight: 5 },
  { arbitrary: fc.constantFrom(0, -0, 0.5, -1.5, Infinity, -Infinity, NaN, 1e300), weight: 1 },
  { arbitrary: fc.bigInt({ min: -1n, max: 2n }), weight: 2 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
  {
    arbitrary: fc.constantFrom("", "a", "b", "ab", "B", "é", "\u{1F600}", "\uFFFD", "\u00e9a"),
    weight: 4,
  },
  { arbitrary: bytes, weight: 1 },
);
/**
 * Each case draws most values from a small palette of its own (2-5 values of any type, exotic
 * ones included), so equal keys, ties and bounds that hit existing values are frequent.
 */
const paletteArb = fc.uniqueArray(anyScalar, {
  minLength: 2,
  maxLength: 5,
  selector: (x) => JSON.stringify(convexToJson(x)),
});

interface Gen {
  scalar: fc.Arbitrary<Value>;
  value: fc.Arbitrary<Value>;
  oValue: fc.Arbitrary<Value>;
  docValue: fc.Arbitrary<Record<string, Value>>;
  patchValue: fc.Arbitrary<Record<string, Value>>;
}

/** The value arbitraries of one case. */
function generators(palette: Value[]): Gen {
  const scalar = fc.oneof(
    { arbitrary: fc.constantFrom(...palette), weight: 8 },
    { arbitrary: anyScalar, weight: 1 },
  );
  const value = fc.oneof(
    { arbitrary: scalar, weight: 10 },
    { arbitrary: fc.array(scalar, { maxLength: 2 }), weight: 1 },
    { arbitrary: fc.record({ x: scalar, y: scalar }, { requiredKeys: [] }), weight: 2 },
  );
  // Values for the nested `o` field: mostly objects so that `o.x` indexes have something.
  const oValue = fc.oneof(
    { arbitrary: fc.record({ x: scalar, y: scalar }, { requiredKeys: [] }), weight: 4 },
    { arbitrary: scalar, weight: 1 },
  );
  const docValue = fc.record(
    {
      f0: fc.oneof(
        { arbitrary: value, weight: 9 },
        { arbitrary: fc.constant<Value>(COMMIT_TS), weight: 1 },
      ),
      f1: value,
      f2: value,
      o: oValue,
    },
    { requiredKeys: [] },
  );
  const patchValue = fc.record(
    {
      f0: fc.oneof(value, fc.constant<Value>(REMOVE)),
      f1: fc.oneof(value, fc.constant<Value>(REMOVE)),
      f2: fc.oneof(value, fc.constant<Value>(REMOVE)),
      o: fc.oneof(oValue, fc.constant<Value>(REMOVE)),
    },
    { requiredKeys: [] },
  );
  return { scalar, value, oValue, docValue, patchValue };
}

// ---------------------------------------------------------------- schema

const schemaSpec: fc.Arbitrary<TableSpec[]> = fc
  .array(
    fc.uniqueArray(fc.uniqueArray(fc.constantFrom(...INDEXABLE), { minLength: 1, maxLength: 3 }), {
      maxLength: 3,
      selector: (f) => f.join(","),
    }),
    { minLength: 1, maxLength: 3 },
  )
  .map((tables) =>
    tables.map((indexes, k) => ({
      name: `t${k}`,
      indexes: indexes.map((fields, j) => ({ name: `i${j}`, fields })),
    })),
  );

function buildSchema(tables: TableSpec[]) {
  const newTable = () =>
    defineTable({
      f0: v.optional(v.any()),
      f1: v.optional(v.any()),
      f2: v.optional(v.any()),
      o: v.optional(v.any()),
    });
  type Fields = Parameters<ReturnType<typeof newTable>["index"]>[1] & string[];
  const defs: Record<string, ReturnType<typeof newTable>> = {};
  for (const t of tables) {
    let table = newTable();
    for (const index of t.indexes)
      table = table.index(index.name, index.fields as unknown as Fields);
    defs[t.name] = table;
  }
  return defineSchema(defs);
}

// ---------------------------------------------------------------- queries

/** The fields a range over this index may use (stock appends _creationTime and _id). */
function rangeFields(t: TableSpec, index: string): string[] {
  if (index === "by_id") return ["_id"];
  if (index === "by_creation_time") return ["_creationTime", "_id"];
  const spec = t.indexes.find((i) => i.name === index);
  return [...(spec?.fields ?? []), "_creationTime", "_id"];
}

function boundValue(g: Gen, field: string, table: string): fc.Arbitrary<Value> {
  if (field === "_creationTime") {
    return fc.oneof(
      fc.integer({ min: -2, max: 40 }).map((k) => BASE_TIME + k * 37),
      fc.integer({ min: 0, max: 30 }).map((k) => BASE_TIME + k * 0.001),
      g.scalar,
    );
  }
  if (field === "_id") {
    return fc.oneof(
      fc
        .integer({ min: 9999, max: 10060 })
        .map((k) => `${String(k).padStart(32 - table.length, "0")}${table}`),
      g.scalar,
    );
  }
  return fc.oneof(
    { arbitrary: g.scalar, weight: 6 },
    { arbitrary: g.value, weight: 1 },
    { arbitrary: fc.constant(UNDEFINED), weight: 1 },
  );
}

function rangeArb(g: Gen, t: TableSpec, index: string): fc.Arbitrary<QuerySpec["range"]> {
  const fields = rangeFields(t, index);
  const valid = fc
    .record({
      eqs: fc.integer({ min: 0, max: fields.length }),
      lower: fc.constantFrom<RangeOp | null>(null, "gt", "gte"),
      upper: fc.constantFrom<RangeOp | null>(null, "lt", "lte"),
      upperFirst: fc.boolean(),
    })
    .chain(({ eqs, lower, upper, upperFirst }) => {
      const boundField = fields[eqs];
      const eqArbs = fields.slice(0, eqs).map((f) => boundValue(g, f, t.name));
      const withBounds = boundField !== undefined;
      return fc
        .tuple(
          fc.tuple(...eqArbs),
          withBounds ? boundValue(g, boundField, t.name) : fc.constant(null),
          withBounds ? boundValue(g, boundField, t.name) : fc.constant(null),
        )
        .map(([eqValues, lo, hi]) => {
          const range: QuerySpec["range"] = eqValues.map((value, k) => ({
            op: "eq" as const,
            field: fields[k],
            value,
          }));
          if (withBounds) {
            const bounds: QuerySpec["range"] = [];
            if (lower !== null) bounds.push({ op: lower, field: boundField, value: lo });
            if (upper !== null) bounds.push({ op: upper, field: boundField, value: hi });
            if (upperFirst) bounds.reverse();
            range.push(...bounds);
          }
          return range;
        });
    });
  // Occasionally an invalid range: both engines must throw the same error.
  const invalid = fc
    .array(
      fc.record({
        op: fc.constantFrom<RangeOp>("eq", "gt", "gte", "lt", "lte"),
        field: fc.constantFrom(...fields, "f9"),
        value: g.scalar,
      }),
      { minLength: 1, maxLength: 3 },
    )
    .map((r) => r as QuerySpec["range"]);
  return fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: invalid, weight: 1 });
}

function filterArb(g: Gen): fc.Arbitrary<FilterSpec> {
  const filterLeaf = fc.record({
    op: fc.constantFrom("eq", "neq", "lt", "lte", "gt", "gte"),
    field: fc.constantFrom("f0", "f1", "f2", "o.x", "_creationTime"),
    value: g.scalar,
  }) as fc.Arbitrary<FilterSpec>;
  return fc.oneof(
    { arbitrary: filterLeaf, weight: 4 },
    {
      arbitrary: fc.record({
        op: fc.constantFrom("and", "or"),
        args: fc.array(filterLeaf, { minLength: 1, maxLength: 3 }),
      }),
      weight: 1,
    },
    { arbitrary: filterLeaf.map((arg): FilterSpec => ({ op: "not", arg })), weight: 1 },
  );
}

function querySpecArb(g: Gen, tables: TableSpec[]): fc.Arbitrary<QuerySpec> {
  return fc
    .constantFrom(...tables)
    .chain((t) =>
      fc
        .constantFrom<string | null>(
          null,
          "by_creation_time",
          "by_id",
          ...t.indexes.map((i) => i.name),
          ...t.indexes.map((i) => i.name),
        )
        .map((index) => ({ t, index })),
    )
    .chain(({ t, index }) =>
      fc.record({
        table: fc.constant(t.name),
        index: fc.constant(index),
        range: index === null ? fc.constant([]) : rangeArb(g, t, index),
        order: fc.constantFrom<"asc" | "desc" | null>(null, "asc", "desc"),
        filter: fc.oneof(
          { arbitrary: fc.constant(null), weight: 3 },
          { arbitrary: filterArb(g), weight: 1 },
        ),
        mode: fc.oneof(
          { arbitrary: fc.constant({ kind: "collect" as const }), weight: 4 },
          {
            arbitrary: fc.integer({ min: 0, max: 5 }).map((n) => ({ kind: "take" as const, n })),
            weight: 3,
          },
          { arbitrary: fc.constant({ kind: "first" as const }), weight: 1 },
          { arbitrary: fc.constant({ kind: "unique" as const }), weight: 1 },
          {
            arbitrary: fc
              .integer({ min: 1, max: 3 })
              .map((stopAfter) => ({ kind: "iterate" as const, stopAfter })),
            weight: 1,
          },
          { arbitrary: fc.constant({ kind: "count" as const }), weight: 1 },
        ),
      }),
    );
}

// ---------------------------------------------------------------- writes and steps

function opArb(g: Gen, tables: TableSpec[], depth: number): fc.Arbitrary<Op> {
  const table = fc.constantFrom(...tables.map((t) => t.name));
  const pick = fc.nat(1000);
  const arbs: Array<fc.WeightedArbitrary<Op>> = [
    {
      arbitrary: fc.record({ kind: fc.constant("insert" as const), table, value: g.docValue }),
      weight: 8,
    },
    {
      arbitrary: fc.record({ kind: fc.constant("patch" as const), pick, value: g.patchValue }),
      weight: 3,
    },
    {
      arbitrary: fc.record({ kind: fc.constant("replace" as const), pick, value: g.docValue }),
      weight: 1,
    },
    { arbitrary: fc.record({ kind: fc.constant("delete" as const), pick }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant("get" as const), pick }), weight: 1 },
    {
      arbitrary: fc.record({ kind: fc.constant("query" as const), spec: querySpecArb(g, tables) }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant("snapshotQuery" as const),
        spec: querySpecArb(g, tables),
      }),
      weight: 1,
    },
  ];
  if (depth === 0) {
    arbs.push({
      arbitrary: fc.record({
        kind: fc.constant("nested" as const),
        ops: fc
          .tuple(fc.array(opArb(g, tables, 1), { minLength: 1, maxLength: 4 }), fc.boolean())
          .map(([ops, fail]) => (fail ? [...ops, { kind: "fail" as const }] : ops)),
        catchError: fc.boolean(),
      }),
      weight: 1,
    });
  }
  return fc.oneof(...arbs);
}

type Step =
  | { kind: "mutation"; ops: Op[]; clock: number }
  | { kind: "query"; spec: QuerySpec; clock: number }
  | {
      kind: "paginate";
      spec: QuerySpec;
      sizes: number[];
      maximumRowsRead: number | null;
      maximumBytesRead?: number | null;
      refetch: boolean;
      clock: number;
    };

function stepsArb(g: Gen, tables: TableSpec[], maxSteps = 40): fc.Arbitrary<Step[]> {
  // The clock mostly moves forward, sometimes stands still or goes back.
  const clock = fc.oneof(
    { arbitrary: fc.constant(0), weight: 2 },
    { arbitrary: fc.integer({ min: 1, max: 50 }), weight: 3 },
    { arbitrary: fc.integer({ min: -20, max: -1 }), weight: 1 },
  );
  const mutation = fc.record({
    kind: fc.constant("mutation" as const),
    ops: fc
      .tuple(fc.array(opArb(g, tables, 0), { minLength: 1, maxLength: 6 }), fc.nat(9))
      .map(([ops, r]) => (r === 0 ? [...ops, { kind: "fail" as const }] : ops)),
    clock,
  });
  const query = fc.record({
    kind: fc.constant("query" as const),
    spec: querySpecArb(g, tables),
    clock,
  });
  const paginate = fc.record({
    kind: fc.constant("paginate" as const),
    spec: querySpecArb(g, tables).map((s) => ({ ...s, mode: { kind: "collect" as const } })),
    sizes: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 6 }),
    maximumRowsRead: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 4 })),
    maximumBytesRead: fc.oneof(
      { arbitrary: fc.constant(null), weight: 3 },
      { arbitrary: fc.integer({ min: 1, max: 400 }), weight: 1 },
    ),
    refetch: fc.boolean(),
    clock,
  });
  const bulk = fc.record({
    kind: fc.constant("mutation" as const),
    ops: fc.array(
      fc.record({
        kind: fc.constant("insert" as const),
        table: fc.constantFrom(...tables.map((t) => t.name)),
        value: g.docValue,
      }),
      { minLength: 3, maxLength: 15, size: "max" },
    ),
    clock,
  });
  return fc.array(
    fc.oneof(
      { arbitrary: mutation, weight: 6 },
      { arbitrary: bulk, weight: 2 },
      { arbitrary: query, weight: 6 },
      { arbitrary: paginate, weight: 3 },
    ),
    { minLength: 5, maxLength: maxSteps, size: "medium" },
  );
}

// ---------------------------------------------------------------- running

type Outcome = { ok: string } | { error: string };

async function settle(p: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: JSON.stringify(convexToJson((await p) as Value)) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

type Runner = {
  mutation: (ref: typeof applyRef, args: Record<string, unknown>) => Promise<unknown>;
  query: (ref: typeof runRef, args: Record<string, unknown>) => Promise<unknown>;
};

let now = BASE_TIME;
let counters = { cases: 0, calls: 0, pages: 0, errors: 0, maxDocs: 0 };

async function both(
  stock: Runner,
  mine: Runner,
  kind: "mutation" | "query",
  ref: typeof applyRef | typeof runRef,
  args: Record<string, unknown>,
): Promise<Outcome> {
  const call = (r: Runner) =>
    kind === "mutation"
      ? r.mutation(ref as typeof applyRef, args)
      : r.query(ref as typeof runRef, args);
  const a = await settle(call(stock));
  const b = await settle(call(mine));
  counters.calls += 1;
  if ("error" in a) counters.errors += 1;
  expect(b, `${kind} ${JSON.stringify(convexToJson(args as Value))}`).toEqual(a);
  return a;
}

async function runCase(tables: TableSpec[], steps: Step[], chunkLoad: number) {
  const schema = buildSchema(tables);
  const stock = convexTest(schema, modules);
  const engine = createLocalEngine(schema, modules, { dataDir: null, indexChunkLoad: chunkLoad });
  const mine = engine.t;
  let ids: string[] = [];
  for (const step of steps) {
    now += step.clock;
    if (step.kind === "mutation") {
      const out = await both(stock, mine, "mutation", applyRef, { ops: step.ops, ids });
      if ("ok" in out) ids = (JSON.parse(out.ok) as { live: string[] }).live;
    } else if (step.kind === "query") {
      await both(stock, mine, "query", runRef, { spec: step.spec });
    } else {
      let cursor: string | null = null;
      const seen: Array<{ cursor: string | null; continueCursor: string }> = [];
      for (const numItems of step.sizes) {
        const args: Record<string, unknown> = { spec: step.spec, cursor, numItems };
        if (step.maximumRowsRead !== null) args.maximumRowsRead = step.maximumRowsRead;
        if (step.maximumBytesRead != null) args.maximumBytesRead = step.maximumBytesRead;
        const out = await both(stock, mine, "query", pageRef, args);
        counters.pages += 1;
        if (!("ok" in out)) break;
        const page = JSON.parse(out.ok) as { isDone: boolean; continueCursor: string };
        seen.push({ cursor, continueCursor: page.continueCursor });
        if (page.isDone) break;
        cursor = page.continueCursor;
      }
      if (step.refetch) {
        // Re-fetch the pages with their end cursors, as a reactive paginated query does.
        for (const s of seen) {
          await both(stock, mine, "query", pageRef, {
            spec: step.spec,
            cursor: s.cursor,
            numItems: 1,
            endCursor: s.continueCursor,
          });
          counters.pages += 1;
        }
      }
    }
  }
  // Full final state, table by table, in creation order.
  for (const t of tables) {
    const spec: QuerySpec = {
      table: t.name,
      index: null,
      range: [],
      order: null,
      filter: null,
      mode: { kind: "collect" },
    };
    await both(stock, mine, "query", runRef, { spec });
  }
  engine.checkInvariants();
  counters.maxDocs = Math.max(counters.maxDocs, engine.stats().documents);
  await engine.close();
  counters.cases += 1;
}

describe("indexed engine vs stock convex-test", () => {
  beforeEach(() => {
    now = BASE_TIME;
    vi.spyOn(Date, "now").mockImplementation(() => now);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test(
    `random schemas, writes and queries (${RUNS} cases)`,
    async () => {
      counters = { cases: 0, calls: 0, pages: 0, errors: 0, maxDocs: 0 };
      await fc.assert(
        fc.asyncProperty(
          fc
            .tuple(schemaSpec, paletteArb)
            .chain(([tables, palette]) =>
              fc.tuple(
                fc.constant(tables),
                stepsArb(generators(palette), tables),
                fc.constantFrom(2, 3, 4, 512),
              ),
            ),
          async ([tables, steps, chunkLoad]) => {
            now = BASE_TIME;
            await runCase(tables, steps, chunkLoad);
          },
        ),
        { numRuns: RUNS },
      );
      console.log(
        `differential: ${counters.cases} cases, ${counters.calls} compared calls ` +
          `(${counters.pages} pages, ${counters.errors} expected errors)`,
      );
      expect(counters.calls).toBeGreaterThan(RUNS * 5);
    },
    120_000 + RUNS * 200,
  );

  test(
    "larger tables: hundreds of documents, tiny chunks, many queries and pages",
    async () => {
      counters = { cases: 0, calls: 0, pages: 0, errors: 0, maxDocs: 0 };
      const tables: TableSpec[] = [
        {
          name: "t0",
          indexes: [
            { name: "i0", fields: ["f0"] },
            { name: "i1", fields: ["f1", "f0"] },
            { name: "i2", fields: ["o.x", "f2", "f1"] },
          ],
        },
        { name: "t1", indexes: [{ name: "i0", fields: ["f2"] }] },
      ];
      await fc.assert(
        fc.asyncProperty(
          paletteArb.chain((palette) => {
            const g = generators(palette);
            const insert = fc.record({
              kind: fc.constant("insert" as const),
              table: fc.constantFrom("t0", "t0", "t1"),
              value: g.docValue,
            });
            const fill = fc.array(
              fc.record({
                kind: fc.constant("mutation" as const),
                ops: fc.array(insert, { minLength: 20, maxLength: 40, size: "max" }),
                clock: fc.integer({ min: 0, max: 5 }),
              }),
              { minLength: 8, maxLength: 12, size: "max" },
            );
            const queries = fc.array(
              fc.record({
                kind: fc.constant("query" as const),
                spec: querySpecArb(g, tables),
                clock: fc.constant(1),
              }),
              { minLength: 60, maxLength: 80, size: "max" },
            );
            const pages = fc.array(
              fc.record({
                kind: fc.constant("paginate" as const),
                spec: querySpecArb(g, tables).map((spec) => ({
                  ...spec,
                  mode: { kind: "collect" as const },
                })),
                sizes: fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 3, maxLength: 8 }),
                maximumRowsRead: fc.oneof(fc.constant(null), fc.integer({ min: 5, max: 50 })),
                refetch: fc.boolean(),
                clock: fc.constant(0),
              }),
              { minLength: 10, maxLength: 15, size: "max" },
            );
            return fc.tuple(
              fill,
              stepsArb(g, tables, 30),
              queries,
              pages,
              fc.constantFrom(2, 4, 8),
            );
          }),
          async ([fill, steps, queries, pages, chunkLoad]) => {
            now = BASE_TIME;
            await runCase(tables, [...fill, ...steps, ...queries, ...pages], chunkLoad);
          },
        ),
        // Shrinking hundreds of steps takes minutes; report the first failing case as is.
        { numRuns: LARGE_RUNS, endOnFailure: true },
      );
      console.log(
        `differential (large): ${counters.cases} cases, ${counters.calls} compared calls ` +
          `(${counters.pages} pages), up to ${counters.maxDocs} documents per case`,
      );
      expect(counters.maxDocs).toBeGreaterThan(200);
    },
    120_000 + LARGE_RUNS * 10_000,
  );
});
