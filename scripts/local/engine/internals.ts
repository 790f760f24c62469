/**
 * THE ONE PLACE that touches convex-test internals. Written against convex-test 0.0.60
 * (node_modules/convex-test/dist/index.js); `assertConvexTestInternals` refuses to run against
 * anything else. See README.md, "convex-test internals relied on".
 *
 * convex-test keeps, per component, a `DatabaseFake` (not exported) holding committed documents
 * in one object `_documents` (id -> document) and pending writes in a stack of layers `_writes`.
 * It answers every query by `_iterateDocs` over all ids of the table, then filters and sorts.
 *
 * `IndexedDatabaseFake` below subclasses that very class (taken from the live instance) and
 * replaces the committed storage by per-table `TableStore`s with ordered indexes. Everything
 * else stays stock: id generation, validation, patch/replace semantics, pending-write layers,
 * nested transactions, filters, cursors and pagination page logic. The overrides:
 *
 * - `get`: pending layers as stock, then the table store instead of `_documents`.
 * - `commit`: stock commit does the work (nested merge, commit-timestamp resolution); at top
 *   level it writes into a scratch object that stands in for `_documents`, from which the
 *   resolved documents are applied to the table stores and handed to persistence.
 * - `startQuery`/`queryNext`: table scans and index ranges become lazy cursors over the index
 *   (seek to the range, walk it, merge the transaction's pending writes, apply stock's compiled
 *   filter and limit), so `.take(n)`/`.first()`/`.unique()` read O(log n + n_read) documents.
 * - `paginate`: the same cursor, started just after the page cursor, collects exactly the
 *   documents stock's page loop would look at (plus one look-ahead), then stock's `paginate`
 *   runs on that window, so page contents, cursors, `isDone`, `splitCursor` and `pageStatus`
 *   come from stock code.
 * - `_iterateDocs`: yields a candidate window when one is set (so stock's `_resolveQuerySource`
 *   validates, compiles filters and sorts only that window), else the whole table in stock's
 *   order (search and vector search keep their stock, scanning behaviour).
 * - `rollbackWrites`/`stashWrites`/`restoreWrites`: bookkeeping to drop query streams at the end
 *   of a top-level transaction (stock keeps `_queryResults` forever).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import { convexToJson, getDocumentSize, jsonToConvex, type Value } from "convex/values";
import {
  comparePrefix,
  docFromText,
  docText,
  keyRange,
  tableNameFromId,
  type Doc,
  type KeyValue,
  type RangeExpression,
} from "./keys";
import { RangeCursor } from "./sortedList";
import { indexSpecsFor, TableStore, type TableIndex } from "./tableStore";

export const CONVEX_TEST_VERSION = "0.0.60";

/**
 * sha256 (first 16 hex digits) of the whitespace-stripped source of the two convex-test classes
 * the engine subclasses or reads, as shipped in convex-test 0.0.60. Any change to them, even one
 * that keeps the method names, fails `assertConvexTestInternals`.
 */
const EXPECTED_FINGERPRINTS: Record<string, string> = {
  DatabaseFake: "d799ccb921d3e404",
  TransactionManager: "82ea7d29eb7ccf35",
};

type AnySchema = SchemaDefinition<GenericSchema, boolean>;
type Writes = Record<string, Doc | null>;

/** The wire format of a query (convex/server's `SerializedQuery`), as convex-test reads it. */
export interface SerializedQuery {
  source:
    | { type: "FullTableScan"; tableName: string; order: "asc" | "desc" | null }
    | {
        type: "IndexRange";
        indexName: string;
        range: RangeExpression[];
        order: "asc" | "desc" | null;
      }
    | { type: "Search"; indexName: string; filters: unknown[] };
  operators: Array<{ filter: unknown } | { limit: number }>;
}

interface ResolvedSource {
  sortedDocs: Doc[];
  filterFn: (doc: Doc) => boolean;
  limit: number | null;
  fieldPathsToSortBy: string[];
  order: "asc" | "desc";
}

export interface PaginateArgs {
  query: SerializedQuery;
  cursor: string | null;
  endCursor?: string | null;
  pageSize: number;
  maximumRowsRead?: number | null;
  maximumBytesRead?: number | null;
}

export interface PaginateResult {
  page: Doc[];
  isDone: boolean;
  continueCursor: string;
  splitCursor: string | null;
  pageStatus: string | null;
}

interface ExportedTable {
  indexes: Array<{ indexDescriptor: string; fields: string[] }>;
}

/** The members of convex-test 0.0.60's `DatabaseFake` that the engine uses or overrides. */
export interface StockDatabaseFake {
  _componentPath: string;
  _nextDocId: number;
  _lastCreationTime: number;
  _nextQueryId: number;
  _queryResults: Record<number, Doc[]>;
  _writes: Writes[];
  _schema: { schemaValidation: boolean; tables: Map<string, ExportedTable> } | null;
  get(tableName: string | undefined, id: string): Doc | null;
  commit(commitTs?: bigint | null): void;
  rollbackWrites(): void;
  stashWrites(): Writes[];
  restoreWrites(stashed: Writes[]): void;
  startQuery(query: SerializedQuery): number;
  queryNext(queryId: number): { value: Doc | null; done: boolean };
  paginate(args: PaginateArgs): PaginateResult;
  _validateId(tableName: string | undefined, id: string): void;
  _iterateDocs(tableName: string, callback: (doc: Doc) => void): void;
  _resolveQuerySource(query: SerializedQuery): ResolvedSource;
  _evaluateQuery(query: SerializedQuery): Doc[];
}

export type StockDatabaseFakeClass = new (
  schema: AnySchema | null,
  componentPath: string,
) => StockDatabaseFake;

/** convex-test's per-test global (`convexGlobal` in `convexTest`). */
export interface ConvexGlobal {
  components: Record<string, { db: StockDatabaseFake; modules: unknown }>;
  transactionManager: { _lastCommitTs: bigint };
  scheduler: unknown;
}

/**
 * Gets hold of the `convexGlobal` of a `convexTest(...)` instance. convex-test runs every method
 * of the returned object inside `convexGlobalStorage.run(convexGlobal, ...)` (an
 * AsyncLocalStorage private to the module); wrapping `AsyncLocalStorage.prototype.run` for the
 * duration of one synchronous call of a harmless method reveals the store.
 */
export function captureConvexGlobal(t: {
  finishInProgressScheduledFunctions: () => Promise<void>;
}): ConvexGlobal {
  const proto = AsyncLocalStorage.prototype as unknown as {
    run: (store: unknown, fn: (...args: unknown[]) => unknown, ...args: unknown[]) => unknown;
  };
  const original = proto.run;
  let captured: ConvexGlobal | null = null;
  proto.run = function (this: unknown, store, fn, ...args) {
    if (
      captured === null &&
      typeof store === "object" &&
      store !== null &&
      "components" in store &&
      "transactionManager" in store
    ) {
      captured = store as ConvexGlobal;
    }
    return original.call(this, store, fn, ...args);
  };
  let pending: Promise<void>;
  try {
    // With nothing scheduled yet this resolves at once.
    pending = t.finishInProgressScheduledFunctions();
  } finally {
    proto.run = original;
  }
  void pending.catch(() => undefined);
  if (captured === null) {
    throw new Error(
      `local engine: could not find convex-test's global state; the engine supports ` +
        `convex-test ${CONVEX_TEST_VERSION} only (see scripts/local/engine/README.md)`,
    );
  }
  return captured;
}

function fingerprint(source: string): string {
  return createHash("sha256").update(source.replace(/\s+/g, "")).digest("hex").slice(0, 16);
}

export function convexTestFingerprints(global: ConvexGlobal): Record<string, string> {
  const db = global.components[""].db as unknown as { constructor: { toString(): string } };
  const tm = global.transactionManager as unknown as { constructor: { toString(): string } };
  return {
    DatabaseFake: fingerprint(db.constructor.toString()),
    TransactionManager: fingerprint(tm.constructor.toString()),
  };
}

function installedConvexTestVersion(): string {
  const require = createRequire(import.meta.url);
  // The package has no "exports" map, so its package.json is reachable next to its entry.
  const entry = require.resolve("convex-test");
  let dir = path.dirname(entry);
  for (let k = 0; k < 4; k++) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "convex-test") return pkg.version ?? "unknown";
    }
    dir = path.dirname(dir);
  }
  return "unknown";
}

const REQUIRED_METHODS = [
  "get",
  "insert",
  "patch",
  "replace",
  "delete",
  "commit",
  "rollbackWrites",
  "startTransaction",
  "stashWrites",
  "restoreWrites",
  "startQuery",
  "queryNext",
  "paginate",
  "vectorSearch",
  "_addWrite",
  "_generateId",
  "_validateId",
  "_iterateDocs",
  "_resolveQuerySource",
  "_evaluateQuery",
  "_docIsAfterCursor",
  "_encodeCursor",
] as const;

/**
 * Fails loudly unless convex-test is the exact build the engine was written against: version,
 * class shapes, and source fingerprints of `DatabaseFake` and `TransactionManager`.
 */
export function assertConvexTestInternals(global: ConvexGlobal): StockDatabaseFakeClass {
  const problems: string[] = [];
  const version = installedConvexTestVersion();
  if (version !== CONVEX_TEST_VERSION) {
    problems.push(`convex-test ${version} is installed, the engine targets ${CONVEX_TEST_VERSION}`);
  }
  const root = global.components?.[""];
  const db = root?.db as unknown as Record<string, unknown> | undefined;
  if (db === undefined) {
    problems.push("convexGlobal.components[''].db is missing");
  } else {
    const proto = Object.getPrototypeOf(db) as Record<string, unknown>;
    if ((proto.constructor as { name?: string }).name !== "DatabaseFake") {
      problems.push("the root database is not a DatabaseFake");
    }
    for (const m of REQUIRED_METHODS) {
      if (typeof proto[m] !== "function") problems.push(`DatabaseFake.${m} is not a method`);
    }
    const fields: Array<[string, (v: unknown) => boolean]> = [
      ["_documents", (v) => typeof v === "object" && v !== null],
      ["_writes", Array.isArray],
      ["_nextDocId", (v) => typeof v === "number"],
      ["_lastCreationTime", (v) => typeof v === "number"],
      ["_nextQueryId", (v) => typeof v === "number"],
      ["_queryResults", (v) => typeof v === "object" && v !== null],
      ["_componentPath", (v) => typeof v === "string"],
      ["_schema", (v) => v === null || (typeof v === "object" && "tables" in v)],
    ];
    for (const [name, ok] of fields) {
      if (!ok(db[name])) problems.push(`DatabaseFake.${name} has an unexpected shape`);
    }
  }
  if (typeof global.transactionManager?._lastCommitTs !== "bigint") {
    problems.push("TransactionManager._lastCommitTs is not a bigint");
  }
  if (problems.length === 0) {
    const actual = convexTestFingerprints(global);
    for (const [name, expected] of Object.entries(EXPECTED_FINGERPRINTS)) {
      if (actual[name] !== expected) {
        problems.push(
          `the source of convex-test's ${name} differs from ${CONVEX_TEST_VERSION} ` +
            `(fingerprint ${actual[name]}, expected ${expected})`,
        );
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(
      "local engine: convex-test internals changed; re-check scripts/local/engine/internals.ts " +
        "and README.md before updating the pinned version/fingerprints:\n  - " +
        problems.join("\n  - "),
    );
  }
  return (db as unknown as { constructor: StockDatabaseFakeClass }).constructor;
}

/** Callbacks from a database to the engine. */
export interface EngineHooks {
  /** After a top-level commit applied `writes` (resolved documents, null = deleted). */
  onCommit(
    db: StockDatabaseFake,
    commitTs: bigint | null,
    /** [id, document or null if deleted, the document's Convex JSON text]. */
    writes: ReadonlyArray<readonly [string, Doc | null, string?]>,
  ): void;
  /** Compare every index-served query with stock convex-test's full scan (slow). */
  verify: boolean;
  /** Chunk load of the ordered indexes (tests use tiny ones to exercise splits). */
  chunkLoad?: number;
}

export interface InitialState {
  tables: Map<string, Map<string, Doc>>;
  nextDocId: number;
  lastCreationTime: number;
}

/** The extra surface of an indexed database, for the engine and the tests. */
export interface IndexedDatabase extends StockDatabaseFake {
  readonly tables: Map<string, TableStore>;
  /** Committed documents of every table, for snapshots: [table, docs in insertion order]. */
  snapshotTables(): Array<[string, Doc[]]>;
  checkInvariants(): void;
  /** Open query streams (they are dropped at the end of each top-level transaction). */
  openQueryStreams(): number;
}

/** Merges a committed index cursor (minus shadowed ids) with sorted pending documents. */
class MergedCursor {
  private head: Doc | undefined | null = null;
  private k = 0;

  constructor(
    private readonly committed: RangeCursor<Doc>,
    private readonly shadow: ReadonlySet<string>,
    private readonly pending: readonly Doc[],
    private readonly before: (a: Doc, b: Doc) => boolean,
  ) {}

  private nextCommitted(): Doc | undefined {
    let d = this.committed.next();
    if (this.shadow.size > 0) {
      while (d !== undefined && this.shadow.has(d._id)) d = this.committed.next();
    }
    return d;
  }

  next(): Doc | undefined {
    if (this.head === null) this.head = this.nextCommitted();
    const c = this.head;
    const p = this.pending[this.k];
    if (c === undefined) {
      if (p !== undefined) this.k += 1;
      return p;
    }
    if (p === undefined || this.before(c, p)) {
      this.head = null;
      return c;
    }
    this.k += 1;
    return p;
  }
}

/** A query stream: filter and limit over a merged cursor (or over a materialized list). */
class QueryStream {
  private k = 0;

  constructor(
    private readonly source: MergedCursor | Doc[],
    private readonly filterFn: (doc: Doc) => boolean,
    private remaining: number,
  ) {}

  next(): Doc | undefined {
    if (Array.isArray(this.source)) return this.source[this.k++];
    while (this.remaining > 0) {
      const doc = this.source.next();
      if (doc === undefined) {
        this.remaining = 0;
        return undefined;
      }
      if (this.filterFn(doc)) {
        this.remaining -= 1;
        return doc;
      }
    }
    return undefined;
  }
}

interface QueryPlan {
  table: string;
  index: TableIndex;
  resolved: ResolvedSource;
  descending: boolean;
  lower: (doc: Doc) => boolean;
  upper: (doc: Doc) => boolean;
}

function parseCursor(c: string | null | undefined): KeyValue[] | null {
  // Same code as convex-test's paginate: null sentinel = undefined field.
  if (!c) return null;
  return (JSON.parse(c) as Array<string | null>).map((k) =>
    k === null ? undefined : jsonToConvex(JSON.parse(k) as Parameters<typeof jsonToConvex>[0]),
  );
}

function sameResult(a: unknown, b: unknown): boolean {
  return JSON.stringify(convexToJson(a as Value)) === JSON.stringify(convexToJson(b as Value));
}

/** Builds the indexed subclass of convex-test's `DatabaseFake` class. */
export function indexedDatabaseClass(Base: StockDatabaseFakeClass) {
  class IndexedDatabaseFake extends Base implements IndexedDatabase {
    readonly tables = new Map<string, TableStore>();
    /** Stands in for `_documents` during a top-level stock commit. */
    #scratch: Record<string, Doc> | null = null;
    /** When set, `_iterateDocs` of that table yields exactly these documents. */
    #candidates: { table: string; docs: readonly Doc[] } | null = null;
    #streams = new Map<number, QueryStream>();
    #stashDepth = 0;
    readonly #hooks: EngineHooks;

    constructor(
      schema: AnySchema | null,
      componentPath: string,
      hooks: EngineHooks,
      initial?: InitialState,
    ) {
      super(schema, componentPath);
      this.#hooks = hooks;
      // Stock code must no longer read or write `_documents` except inside `commit` (below):
      // any other access means the internals changed, so fail loudly.
      Object.defineProperty(this, "_documents", {
        configurable: true,
        enumerable: false,
        get: () => {
          if (this.#scratch === null) {
            throw new Error(
              "local engine: convex-test accessed DatabaseFake._documents outside commit; " +
                "its internals changed (see scripts/local/engine/README.md)",
            );
          }
          return this.#scratch;
        },
      });
      if (initial !== undefined) {
        for (const [table, docs] of initial.tables) {
          if (docs.size > 0) this.tables.set(table, this.#newStore(table, docs));
        }
        this._nextDocId = Math.max(this._nextDocId, initial.nextDocId);
        this._lastCreationTime = Math.max(this._lastCreationTime, initial.lastCreationTime);
      }
    }

    #newStore(table: string, docs?: Map<string, Doc>): TableStore {
      const schemaIndexes = this._schema?.tables.get(table)?.indexes ?? [];
      return new TableStore(table, indexSpecsFor(schemaIndexes), docs, this.#hooks.chunkLoad);
    }

    #store(table: string): TableStore {
      let store = this.tables.get(table);
      if (store === undefined) {
        store = this.#newStore(table);
        this.tables.set(table, store);
      }
      return store;
    }

    override get(tableName: string | undefined, id: string): Doc | null {
      this._validateId(tableName, id);
      const writes = this._writes;
      for (let i = writes.length - 1; i >= 0; i--) {
        const write = writes[i][id];
        if (write !== undefined) return write;
      }
      const table = tableNameFromId(id);
      return (table === null ? undefined : this.tables.get(table)?.get(id)) ?? null;
    }

    override commit(commitTs: bigint | null = null): void {
      const layer = this._writes[this._writes.length - 1];
      if (layer === undefined || this._writes.length > 1) {
        super.commit(commitTs); // nested: stock merges the layer into its parent
        return;
      }
      const scratch: Record<string, Doc> = Object.create(null) as Record<string, Doc>;
      this.#scratch = scratch;
      try {
        super.commit(commitTs);
      } finally {
        this.#scratch = null;
      }
      const applied: Array<[string, Doc | null, string?]> = [];
      for (const id of Object.keys(layer)) {
        const table = tableNameFromId(id);
        if (table === null) throw new Error(`local engine: write to a bad id ${id}`);
        if (layer[id] === null) {
          this.tables.get(table)?.delete(id);
          applied.push([id, null]);
        } else {
          // Stored as a fresh parse of its Convex JSON: the same value, but about half the
          // memory of the object built by the syscall path (2 kB instead of 4 kB for a payment
          // with a fraud result); the text is also what the log writes.
          const text = docText(scratch[id]);
          const doc = docFromText(text);
          this.#store(table).put(doc);
          applied.push([id, doc, text]);
        }
      }
      this.#endTopLevelTransaction();
      if (applied.length > 0) this.#hooks.onCommit(this, commitTs, applied);
    }

    override rollbackWrites(): void {
      super.rollbackWrites();
      if (this._writes.length === 0 && this.#stashDepth === 0) this.#endTopLevelTransaction();
    }

    override stashWrites(): Writes[] {
      this.#stashDepth += 1;
      return super.stashWrites();
    }

    override restoreWrites(stashed: Writes[]): void {
      super.restoreWrites(stashed);
      this.#stashDepth -= 1;
    }

    #endTopLevelTransaction(): void {
      // Query streams never outlive their transaction; stock keeps them forever.
      this.#streams.clear();
      this._queryResults = {};
    }

    override _iterateDocs(tableName: string, callback: (doc: Doc) => void): void {
      const candidates = this.#candidates;
      if (candidates !== null && candidates.table === tableName) {
        for (const doc of candidates.docs) callback(doc);
        return;
      }
      // The whole table, in the order stock enumerates it: committed ids in insertion order,
      // then ids first written by pending layers, oldest layer first.
      const ids = new Set<string>(this.tables.get(tableName)?.docs.keys() ?? []);
      for (const layer of this._writes) {
        for (const id of Object.keys(layer)) {
          if (tableNameFromId(id) === tableName) ids.add(id);
        }
      }
      for (const id of ids) {
        const doc = this.get(tableName, id);
        if (doc !== null) callback(doc);
      }
    }

    /** Runs `fn` with `_iterateDocs(table)` yielding `docs` (table null: the stock full scan). */
    #withCandidates<R>(table: string | null, docs: readonly Doc[], fn: () => R): R {
      const previous = this.#candidates;
      this.#candidates = table === null ? null : { table, docs };
      try {
        return fn();
      } finally {
        this.#candidates = previous;
      }
    }

    /** Validates the query exactly like stock and prepares the index walk. */
    #plan(query: SerializedQuery): QueryPlan {
      const source = query.source;
      if (source.type === "Search") throw new Error("local engine: search queries are stock");
      const [table, indexName] =
        source.type === "FullTableScan"
          ? [source.tableName, "by_creation_time"]
          : source.indexName.split(".");
      // Stock resolution over no documents: throws stock's errors for unknown indexes and bad
      // ranges, and gives the compiled filter, the limit, the order and the sort fields.
      const resolved = this.#withCandidates(table, [], () => super._resolveQuerySource(query));
      const index = this.#store(table).indexes.get(indexName);
      const expected =
        source.type === "FullTableScan" ? ["_creationTime"] : (index?.spec.fields ?? []);
      if (
        index === undefined ||
        resolved.fieldPathsToSortBy.length !== expected.length ||
        resolved.fieldPathsToSortBy.some((f, k) => f !== expected[k])
      ) {
        throw new Error(`local engine: no matching index for ${table}.${indexName}`);
      }
      const range =
        source.type === "IndexRange"
          ? keyRange(index.getters, source.range)
          : { lower: () => true, upper: () => false };
      return { table, index, resolved, descending: resolved.order === "desc", ...range };
    }

    /** The committed range merged with the transaction's pending writes, in query order. */
    #cursor(plan: QueryPlan, cursorCmp?: (doc: Doc) => number): MergedCursor {
      const { index, descending, lower, upper, table } = plan;
      const shadow = new Set<string>();
      const pending: Doc[] = [];
      const writes = this._writes;
      for (let i = writes.length - 1; i >= 0; i--) {
        const layer = writes[i];
        for (const id of Object.keys(layer)) {
          if (shadow.has(id) || tableNameFromId(id) !== table) continue;
          shadow.add(id);
          const doc = layer[id];
          if (doc === null || !lower(doc) || upper(doc)) continue;
          if (cursorCmp !== undefined && (descending ? cursorCmp(doc) >= 0 : cursorCmp(doc) <= 0)) {
            continue;
          }
          pending.push(doc);
        }
      }
      const compare = index.compare;
      pending.sort(descending ? (a, b) => compare(b, a) : compare);
      const before = descending
        ? (a: Doc, b: Doc) => compare(a, b) > 0
        : (a: Doc, b: Doc) => compare(a, b) < 0;
      const committed = new RangeCursor(index.list, lower, upper, descending, cursorCmp);
      return new MergedCursor(committed, shadow, pending, before);
    }

    override startQuery(query: SerializedQuery): number {
      if (query.source.type === "Search") return super.startQuery(query);
      const plan = this.#plan(query);
      const { filterFn, limit } = plan.resolved;
      let stream = new QueryStream(this.#cursor(plan), filterFn, limit ?? Infinity);
      if (this.#hooks.verify) {
        const mine: Doc[] = [];
        for (let d = stream.next(); d !== undefined; d = stream.next()) mine.push(d);
        const stock = this.#withCandidates(null, [], () => super._evaluateQuery(query));
        if (!sameResult(mine, stock)) {
          throw new Error(
            `local engine verify: query differs from stock: ${JSON.stringify(query)}`,
          );
        }
        stream = new QueryStream(mine, filterFn, Infinity);
      }
      const id = this._nextQueryId;
      this._nextQueryId += 1;
      this.#streams.set(id, stream);
      return id;
    }

    override queryNext(queryId: number): { value: Doc | null; done: boolean } {
      const stream = this.#streams.get(queryId);
      if (stream === undefined) return super.queryNext(queryId);
      const value = stream.next();
      return value === undefined ? { value: null, done: true } : { value, done: false };
    }

    override paginate(args: PaginateArgs): PaginateResult {
      if (args.query.source.type === "Search") return super.paginate(args);
      const plan = this.#plan(args.query);
      const { cursor, endCursor, pageSize, maximumRowsRead, maximumBytesRead } = args;
      let cursorKeys: KeyValue[] | null;
      let endKeys: KeyValue[] | null;
      const hasEndBoundary = !!endCursor && endCursor !== "_end_cursor";
      try {
        cursorKeys = cursor !== "_end_cursor" ? parseCursor(cursor) : null;
        endKeys = hasEndBoundary ? parseCursor(endCursor) : null;
      } catch {
        // A malformed cursor: let stock produce its own error, over the whole table.
        return super.paginate(args);
      }
      const { getters, spec } = plan.index;
      // Cursor comparisons are over the index key (= stock's cursor fields, which end in _id).
      const pad = (keys: KeyValue[]) => spec.fields.map((_, k) => keys[k]);
      const window: Doc[] = [];
      if (cursor !== "_end_cursor") {
        const cursorTuple = cursorKeys === null ? null : pad(cursorKeys);
        const stream = this.#cursor(
          plan,
          cursorTuple === null ? undefined : (doc) => comparePrefix(getters, doc, cursorTuple),
        );
        const endTuple = endKeys === null ? null : pad(endKeys);
        const sign = plan.descending ? -1 : 1;
        let rows = 0;
        let bytes = 0;
        let matched = 0;
        // Collect what stock's page loop would look at, in the same order, with the same stops.
        for (let doc = stream.next(); doc !== undefined; doc = stream.next()) {
          window.push(doc);
          if (endTuple !== null && comparePrefix(getters, doc, endTuple) * sign >= 0) break;
          rows += 1;
          bytes += getDocumentSize(doc as unknown as Record<string, Value>);
          if (
            (maximumRowsRead && rows >= maximumRowsRead) ||
            (maximumBytesRead && bytes >= maximumBytesRead)
          ) {
            break;
          }
          if (plan.resolved.filterFn(doc)) matched += 1;
          if (!endCursor && matched >= pageSize) {
            const lookahead = stream.next(); // tells stock whether this was the last document
            if (lookahead !== undefined) window.push(lookahead);
            break;
          }
        }
      }
      const result = this.#withCandidates(plan.table, window, () => super.paginate(args));
      if (this.#hooks.verify) {
        const stock = this.#withCandidates(null, [], () => super.paginate(args));
        if (!sameResult(result, stock)) {
          throw new Error(`local engine verify: page differs from stock: ${JSON.stringify(args)}`);
        }
      }
      return result;
    }

    snapshotTables(): Array<[string, Doc[]]> {
      const out: Array<[string, Doc[]]> = [];
      for (const [name, store] of this.tables) {
        if (store.size > 0) out.push([name, Array.from(store.docs.values())]);
      }
      return out;
    }

    checkInvariants(): void {
      for (const store of this.tables.values()) store.checkInvariants();
    }

    openQueryStreams(): number {
      return this.#streams.size + Object.keys(this._queryResults).length;
    }
  }
  return IndexedDatabaseFake;
}

export type IndexedDatabaseFakeClass = ReturnType<typeof indexedDatabaseClass>;
