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
import { fileURLToPath } from "node:url";
import { convexTest, type TestConvex } from "convex-test";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import {
  advanceCommitTs,
  assertConvexTestInternals,
  captureConvexGlobal,
  indexedDatabaseClass,
  installDatabase,
  lastCommitTs,
  type EngineHooks,
  type IndexedDatabase,
} from "./adapter";
import type { Doc } from "./keys";
import { Persistence, type PersistenceStats, type StateView } from "./persistence";

export { CONVEX_TEST_VERSION } from "./adapter";

/** `<project>/.local`, the default data directory. */
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
  /** Checks every index of every table against the table's documents (for tests). */
  checkInvariants(): void;
}

export function createLocalEngine<Schema extends GenericSchema>(
  schema: SchemaDefinition<Schema, boolean>,
  modules: Modules,
  options: LocalEngineOptions = {},
): LocalEngine<Schema> {
  const dataDir = options.dataDir === undefined ? DEFAULT_DATA_DIR : options.dataDir;
  const log = options.log ?? ((message: string) => console.warn(message));
  const t = convexTest({ schema, modules, transactionLimits: options.transactionLimits ?? false });
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

  const hooks: EngineHooks = {
    verify: options.verify ?? false,
    chunkLoad: options.indexChunkLoad,
    onCommit: (db, commitTs, writes) => {
      persistence?.record(commitTs, db._componentPath, db._nextDocId, db._lastCreationTime, writes);
    },
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
    t.registerComponent(componentPath, componentSchema, glob);
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
  };
}
