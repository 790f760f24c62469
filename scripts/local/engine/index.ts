/**
 * The local engine: convex-test with real indexes and durable storage.
 *
 *   const engine = createLocalEngine(schema, modules, { dataDir: ".local" });
 *   engine.t.registerComponent("rateLimiter", rateLimiterSchema, rateLimiterModules);
 *   await engine.t.fetch("/api/...", init);          // same API as convexTest(schema, modules)
 *   ...
 *   await engine.close();                             // flush + (by default) compact
 *
 * `t` is the object `convexTest(schema, modules)` returns, with the storage of every component
 * (the root and those registered later) replaced by indexed storage (adapter.ts), and with
 * committed transactions logged to `dataDir` (persistence.ts). See README.md.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { fileURLToPath } from "node:url";
import { convexTest, type TestConvex } from "convex-test";
import type { FunctionReference, GenericSchema, SchemaDefinition } from "convex/server";
import {
  advanceCommitTs,
  assertConvexTestInternals,
  captureConvexGlobal,
  captureRequestMetadata,
  tableNameFromId,
  indexedDatabaseClass,
  ENGINE_MODULE,
  installDatabase,
  lastCommitTs,
  SCHEDULED_FUNCTIONS_TABLE,
  unfinishedJob,
  withEngineModule,
  type DocChange,
  type EngineHooks,
  type IndexedDatabase,
  type ReadEntry,
  type ReadRecorder,
} from "./adapter";
import type { Doc } from "./keys";
import { Persistence, type PersistenceStats, type StateView } from "./persistence";

export { CONVEX_TEST_VERSION, rangeCovers } from "./adapter";
export type { DocChange, RangeRead, ReadEntry } from "./adapter";

/** A committed transaction's writes in one component (old and new version of each document). */
export interface CommitChanges {
  component: string;
  ts: bigint;
  changes: DocChange[];
}

/** The outcome of a tracked run (`trackReads`): its result or error, and what it read. */
export type TrackedRun<T> = {
  reads: ReadEntry[];
  /** The commit timestamp whose state it read. */
  snapshotTs: bigint;
  /** How long its transaction held the engine (no other transaction ran meanwhile). */
  transactionMs: number;
  /** The end cursor of its `.paginate()` page, to pass back on re-execution (null: none). */
  journal: string | null;
} & ({ ok: true; value: T } | { ok: false; error: unknown });

/** `<project>/.local`, the default data directory. */
/** Jobs resumed per transaction. */
const RESUME_BATCH = 500;

export const DEFAULT_DATA_DIR = fileURLToPath(new URL("../../../.local", import.meta.url));

export interface LocalEngineOptions {
  /** Where to keep the data; null = in memory only. Default: DEFAULT_DATA_DIR (`.local/`). */
  dataDir?: string | null;
  /** Erase the engine's files in `dataDir` and start empty. Default false. */
  fresh?: boolean;
  /** How often committed transactions are written and fdatasync'ed. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Compact when the log exceeds max(this, snapshot size). Default 64 MiB. */
  compactMinBytes?: number;
  /** Write a snapshot in close() when there is log since the last one. Default true. */
  compactOnClose?: boolean;
  /** Check every index-served query and page against stock convex-test (slow). Default false. */
  verify?: boolean;
  /** Chunk size of the ordered indexes (tests use tiny values to exercise splits). Default 512. */
  indexChunkLoad?: number;
  /** Enforce Convex's per-transaction limits (documents read, index ranges...), as convexTest does. */
  transactionLimits?: boolean;
  /** Warnings (torn log tail dropped, flush failures). Default console.warn. */
  log?: (message: string) => void;
  /** Count, per document, the requests whose transactions wrote it (`writeStats`). Default false. */
  countWrites?: boolean;
}

/** The most written document, among request transactions or background ones. */
export interface HotDocument {
  component: string;
  table: string;
  id: string;
  /** Distinct requests (or background jobs) that wrote it. */
  writers: number;
  /** `writers` over all requests (or background jobs) that wrote anything. */
  share: number;
}

export interface WriteStats {
  /** Requests (HTTP requests, client calls) whose transactions wrote something. */
  requests: number;
  /** Scheduled functions (pool jobs, loops, crons) that wrote something. */
  backgroundJobs: number;
  hottestForRequests: HotDocument | null;
  hottestForBackground: HotDocument | null;
}

export interface LocalEngineStats {
  components: Record<string, { tables: Record<string, number>; documents: number }>;
  documents: number;
  heapUsedBytes: number;
  persistence: PersistenceStats | null;
}

type Modules = Record<string, () => Promise<unknown>>;
type AnySchema = SchemaDefinition<GenericSchema, boolean>;

export interface LocalEngine<Schema extends GenericSchema> {
  /** Behaves like `convexTest(schema, modules)`, with indexed (and durable) storage. */
  t: TestConvex<SchemaDefinition<Schema, boolean>>;
  /** Writes and fdatasyncs everything committed so far. */
  flush(): Promise<void>;
  /** Writes a snapshot now and drops the log it covers. */
  compact(): Promise<void>;
  /** Flushes, compacts (unless compactOnClose is false) and releases the data directory. */
  close(): Promise<void>;
  stats(): LocalEngineStats;
  /**
   * Runs again every scheduled function a previous process left pending or running, under its
   * own id, in its own component (call it once every component is registered). A deployment
   * would run the pending ones too, and fail the running actions for their pool to retry; local
   * mode re-runs those at once, which every job here tolerates (they are idempotent). Returns
   * how many it resumed.
   */
  resumeScheduledFunctions(): Promise<number>;
  /** Write counts since the last reset (`countWrites` must be on). */
  writeStats(): WriteStats;
  resetWriteStats(): void;
  /** Checks every index of every table against the table's documents (for tests). */
  checkInvariants(): void;
  /**
   * Runs `fn` (one `t.query`) recording what its transaction reads: documents by id, index
   * ranges as far as walked, whole tables. `journal` is the end cursor a previous execution's
   * `.paginate()` page ended at (its page ends there again).
   */
  trackReads<T>(fn: () => Promise<T>, journal?: string | null): Promise<TrackedRun<T>>;
  /** Calls `listener` synchronously after each top-level commit of each component. */
  onChanges(listener: (commit: CommitChanges) => void): () => void;
  /** The timestamp of the last committed transaction. */
  lastCommitTs(): bigint;
}

export function createLocalEngine<Schema extends GenericSchema>(
  schema: SchemaDefinition<Schema, boolean>,
  modules: Modules,
  options: LocalEngineOptions = {},
): LocalEngine<Schema> {
  const dataDir = options.dataDir === undefined ? DEFAULT_DATA_DIR : options.dataDir;
  const log = options.log ?? ((message: string) => console.warn(message));
  const t = convexTest({
    schema,
    modules: withEngineModule(modules),
    transactionLimits: options.transactionLimits ?? false,
  });
  const global = captureConvexGlobal(t);
  const IndexedDatabaseFake = indexedDatabaseClass(assertConvexTestInternals(global));

  const persistence =
    dataDir === null
      ? null
      : Persistence.open(dataDir, {
          fresh: options.fresh ?? false,
          flushIntervalMs: options.flushIntervalMs ?? 1000,
          compactMinBytes: options.compactMinBytes ?? 64 << 20,
          log,
        });

  const counter = options.countWrites ? new WriteCounter() : null;
  const readContext = new AsyncLocalStorage<ReadRecorder>();
  const changeListeners = new Set<(commit: CommitChanges) => void>();
  const hooks: EngineHooks = {
    verify: options.verify ?? false,
    chunkLoad: options.indexChunkLoad,
    reads: () => readContext.getStore(),
    currentTs: () => lastCommitTs(global),
    // `onChanges` is set while someone listens (old versions are only looked up then).
    onCommit: (db, commitTs, writes) => {
      persistence?.record(commitTs, db._componentPath, db._nextDocId, db._lastCreationTime, writes);
      counter?.record(db._componentPath, writes);
    },
  };
  const reportChanges: NonNullable<EngineHooks["onChanges"]> = (component, ts, changes) => {
    const commit = { component, ts: ts ?? lastCommitTs(global), changes };
    for (const listener of changeListeners) listener(commit);
  };
  const dbs = new Map<string, IndexedDatabase>();

  /** Replaces the stock database of a registered component by an indexed one. */
  const install = (componentPath: string, componentSchema: AnySchema | null) => {
    const initial = persistence?.loaded.get(componentPath);
    persistence?.loaded.delete(componentPath);
    const db = new IndexedDatabaseFake(componentSchema, componentPath, hooks, initial);
    installDatabase(global, componentPath, db);
    dbs.set(componentPath, db);
  };
  install("", schema);
  // Only now: finding the request metadata runs an (empty) transaction, on the indexed database.
  counter?.attach(captureRequestMetadata(t));

  if (persistence !== null) {
    advanceCommitTs(global, persistence.lastCommitTs);
    persistence.captureState = (): StateView => ({
      lastCommitTs: lastCommitTs(global),
      components: [
        ...Array.from(dbs, ([path, db]) => ({
          path,
          nextDocId: db._nextDocId,
          lastCreationTime: db._lastCreationTime,
          tables: db.snapshotTables(),
        })),
        // Components on disk that this process has not registered (yet) are carried over.
        ...Array.from(persistence.loaded, ([path, c]) => ({
          path,
          nextDocId: c.nextDocId,
          lastCreationTime: c.lastCreationTime,
          tables: Array.from(c.tables, ([table, docs]): [string, Doc[]] => [
            table,
            Array.from(docs.values()),
          ]),
        })),
      ],
    });
  }

  const registerComponent: typeof t.registerComponent = (componentPath, componentSchema, glob) => {
    t.registerComponent(componentPath, componentSchema, withEngineModule(glob));
    install(componentPath, componentSchema);
  };

  return {
    t: { ...t, registerComponent },
    flush: () => persistence?.flush() ?? Promise.resolve(),
    compact: () => persistence?.compact() ?? Promise.resolve(),
    close: () =>
      persistence?.close({ compact: options.compactOnClose ?? true }) ?? Promise.resolve(),
    stats: () => {
      const components: LocalEngineStats["components"] = {};
      let documents = 0;
      for (const [path, db] of dbs) {
        const tables: Record<string, number> = {};
        let n = 0;
        for (const [name, store] of db.tables) {
          if (store.size === 0) continue;
          tables[name] = store.size;
          n += store.size;
        }
        components[path] = { tables, documents: n };
        documents += n;
      }
      return {
        components,
        documents,
        heapUsedBytes: process.memoryUsage().heapUsed,
        persistence: persistence?.stats() ?? null,
      };
    },
    checkInvariants: () => {
      for (const db of dbs.values()) db.checkInvariants();
    },
    writeStats: () => {
      if (counter === null) throw new Error("local engine: writeStats needs countWrites: true");
      return counter.stats();
    },
    resetWriteStats: () => counter?.reset(),
    trackReads: async <T>(fn: () => Promise<T>, journal: string | null = null) => {
      const recorder: ReadRecorder = {
        snapshotTs: null,
        startedAt: null,
        entries: [],
        journalIn: journal,
        journalOut: undefined,
      };
      let outcome: { ok: true; value: T } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await readContext.run(recorder, fn) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      return {
        ...outcome,
        reads: recorder.entries,
        snapshotTs: recorder.snapshotTs ?? lastCommitTs(global),
        transactionMs: recorder.startedAt === null ? 0 : performance.now() - recorder.startedAt,
        journal: recorder.journalOut ?? null,
      };
    },
    onChanges: (listener) => {
      changeListeners.add(listener);
      hooks.onChanges = reportChanges;
      return () => {
        changeListeners.delete(listener);
        if (changeListeners.size === 0) delete hooks.onChanges;
      };
    },
    lastCommitTs: () => lastCommitTs(global),
    resumeScheduledFunctions: async () => {
      let resumed = 0;
      for (const [path, db] of dbs) {
        const docs = db.tables.get(SCHEDULED_FUNCTIONS_TABLE)?.docs.values() ?? [];
        const jobs = [...docs]
          .map(unfinishedJob)
          .filter((job) => job !== null)
          .sort((a, b) => a.scheduledTime - b.scheduledTime);
        for (let k = 0; k < jobs.length; k += RESUME_BATCH) {
          const batch = jobs.slice(k, k + RESUME_BATCH);
          db.reuseJobIds(batch.map((job) => job.id));
          const resume = `function://${path};${ENGINE_MODULE}:resume`;
          await t.mutation(resume as unknown as FunctionReference<"mutation">, {
            jobs: batch.map(({ name, scheduledTime, args }) => ({ name, scheduledTime, args })),
          });
          resumed += batch.length;
        }
      }
      return resumed;
    },
  };
}

/**
 * Counts, per document, the distinct requests and the distinct background jobs whose
 * transactions wrote it: the measure of hot documents (on Convex, transactions writing one
 * document serialize and retry). A request is what convex-test calls one (an HTTP request with
 * its nested functions); a background job, one run of a scheduled function.
 */
class WriteCounter {
  private docs = new Map<string, { requests: number; jobs: number; last: string }>();
  private requests = new Set<string>();
  private jobs = new Set<string>();

  private currentRequest: ReturnType<typeof captureRequestMetadata> = () => undefined;

  attach(currentRequest: ReturnType<typeof captureRequestMetadata>) {
    this.currentRequest = currentRequest;
  }

  record(component: string, writes: ReadonlyArray<readonly [string, unknown, unknown?]>) {
    const meta = this.currentRequest();
    if (meta === undefined) return;
    const background = meta.scheduledFunctionId !== null;
    const writer = background ? `job:${meta.scheduledFunctionId}` : `req:${meta.requestId}`;
    (background ? this.jobs : this.requests).add(writer);
    for (const [id] of writes) {
      const key = `${component}\u0000${id}`;
      let doc = this.docs.get(key);
      if (doc === undefined) this.docs.set(key, (doc = { requests: 0, jobs: 0, last: "" }));
      if (doc.last === writer) continue; // one writer, one count (several commits of one request)
      doc.last = writer;
      if (background) doc.jobs += 1;
      else doc.requests += 1;
    }
  }

  stats(): WriteStats {
    let hotRequest: HotDocument | null = null;
    let hotJob: HotDocument | null = null;
    for (const [key, doc] of this.docs) {
      const [component, id] = key.split("\u0000");
      const describe = (writers: number, total: number): HotDocument => ({
        component,
        table: tableNameFromId(id) ?? "?",
        id,
        writers,
        share: total === 0 ? 0 : writers / total,
      });
      if (doc.requests > (hotRequest?.writers ?? 0))
        hotRequest = describe(doc.requests, this.requests.size);
      if (doc.jobs > (hotJob?.writers ?? 0)) hotJob = describe(doc.jobs, this.jobs.size);
    }
    return {
      requests: this.requests.size,
      backgroundJobs: this.jobs.size,
      hottestForRequests: hotRequest,
      hottestForBackground: hotJob,
    };
  }

  reset() {
    this.docs.clear();
    this.requests.clear();
    this.jobs.clear();
  }
}
