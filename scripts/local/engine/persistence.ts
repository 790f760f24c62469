/**
 * Durability for the local engine: a write-ahead log of committed transactions plus periodic
 * snapshots, in one data directory.
 *
 *   <dir>/engine.lock               pid of the process that has the directory open
 *   <dir>/engine-snapshot.jsonl     the full state as of the start of WAL generation `gen`
 *   <dir>/engine-wal-<gen>.log      committed transactions, one line each, in commit order
 *
 * A WAL line is `<crc32 of the JSON, 8 hex digits> <JSON>\n`, the JSON being
 * `{"ts": "<commitTs>" | null, "c": {"<componentPath>": {"n": nextDocId, "lt": lastCreationTime,
 * "w": [[id, doc | null], ...]}}}`, i.e. all the writes of one top-level transaction in every
 * component it touched (documents in Convex JSON, `convexToJson`). Lines are buffered in memory
 * and appended with a synchronous write once `flushIntervalMs` has passed since the last write
 * (checked at every commit, and by a timer for quiet periods), then fdatasync'ed on the thread
 * pool. A kill -9 loses at most the transactions committed in the last flush interval, a power
 * loss at most those of the last interval plus one pending fdatasync; always a suffix of whole
 * transactions.
 *
 * A snapshot is `{header}\n` then one document (Convex JSON) per line, component after component
 * in the order of the header, each table's documents in insertion order, then `{"end":...}\n`.
 * Compaction: rotate the WAL to generation G+1 (synchronously, so the state captured at that
 * moment is exactly "everything in generations <= G"), write `engine-snapshot.tmp` with gen G+1, fsync,
 * rename over `engine-snapshot.jsonl`, fsync the directory, delete WAL files of generations <= G.
 *
 * Recovery: load the snapshot (gen S), delete WAL files with gen < S, replay the others in order.
 * An incomplete or corrupted line at the end of the LAST WAL file (a torn write) is dropped and
 * the file truncated there; a bad line anywhere else is corruption and fails loudly.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { idCounter, tableNameFromId } from "./adapter";
import { docFromJson, docFromText, docText, type Doc } from "./keys";

// Distinctive names: the data directory (default .local/) may hold other tools' files too.
const SNAPSHOT = "engine-snapshot.jsonl";
const SNAPSHOT_TMP = "engine-snapshot.tmp";
const LOCK = "engine.lock";
const WAL_RE = /^engine-wal-(\d+)\.log$/;
const FORMAT = "convex-local-engine-snapshot";
const FORMAT_VERSION = 1;
/** Characters of snapshot serialized between two yields to the event loop (~2-5 ms of work). */
const SNAPSHOT_CHUNK = 256 << 10;

const walName = (gen: number) => `engine-wal-${String(gen).padStart(6, "0")}.log`;

/** The committed state of one component as loaded from disk. */
export interface PersistedComponent {
  /** table -> id -> document, each Map in insertion order. */
  tables: Map<string, Map<string, Doc>>;
  nextDocId: number;
  lastCreationTime: number;
}

/** What the engine hands to a compaction: a consistent view captured synchronously. */
export interface StateView {
  lastCommitTs: bigint;
  components: Array<{
    path: string;
    nextDocId: number;
    lastCreationTime: number;
    /** Documents of each table, in insertion order; arrays owned by the snapshot. */
    tables: Array<[string, Doc[]]>;
  }>;
}

export interface PersistenceOptions {
  fresh: boolean;
  flushIntervalMs: number;
  /** Compact when the WAL since the last snapshot exceeds max(this, snapshot size). */
  compactMinBytes: number;
  log: (message: string) => void;
}

export interface PersistenceStats {
  dataDir: string;
  loadMs: number;
  loadedDocuments: number;
  replayedTransactions: number;
  truncatedTailBytes: number;
  walGeneration: number;
  walBytesSinceSnapshot: number;
  snapshotBytes: number;
  bufferedTransactions: number;
  flushes: number;
  lastFlushAt: number | null;
  compactions: number;
  lastCompactionMs: number | null;
  compacting: boolean;
}

interface SnapshotHeader {
  format: string;
  version: number;
  gen: number;
  lastCommitTs: string;
  components: Array<{ path: string; nextDocId: number; lastCreationTime: number; docs: number }>;
}

interface WalFile {
  fd: number;
  /** Appends made to the file so far. */
  written: number;
  /** Appends known to be on disk (an fdatasync that started after them completed). */
  synced: number;
  syncing: boolean;
  syncAgain: boolean;
  /** Rotated out: closed as soon as no sync is pending on it. */
  retired: boolean;
  /** Callers of `flush()` waiting for `synced` to reach their append. */
  waiters: Array<{ upTo: number; resolve: () => void; reject: (e: Error) => void }>;
}

type WalWrites = Array<[string, unknown]>;
interface WalComponent {
  n: number;
  lt: number;
  w: WalWrites;
}
interface WalLine {
  ts: string | null;
  c: Record<string, WalComponent>;
  /** Set when parsing: the line has no `"$` anywhere, so its documents are plain JSON. */
  plain?: boolean;
}

function encodeLine(json: string): string {
  return `${zlib.crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
}

/** Parses a WAL line; null when it is torn or corrupted. */
function decodeLine(line: string): WalLine | null {
  if (line.length < 10 || line[8] !== " ") return null;
  const json = line.slice(9);
  const crc = Number.parseInt(line.slice(0, 8), 16);
  if (!/^[0-9a-f]{8}$/.test(line.slice(0, 8)) || zlib.crc32(json) !== crc) return null;
  try {
    const parsed = JSON.parse(json) as WalLine;
    if (typeof parsed !== "object" || parsed === null || typeof parsed.c !== "object") return null;
    parsed.plain = !json.includes('"$');
    return parsed;
  } catch {
    return null;
  }
}

/**
 * Reads a file line by line synchronously (files may exceed the maximum string length).
 * `onLine(text, start, end, complete)`: byte offsets; `complete` is false for a last line with
 * no trailing newline. Returning false stops the read.
 */
function readLinesSync(
  file: string,
  onLine: (text: string, start: number, end: number, complete: boolean) => boolean,
): void {
  const fd = fs.openSync(file, "r");
  try {
    const chunkSize = 8 << 20;
    let carry = Buffer.alloc(0);
    let carryStart = 0; // file offset of carry[0]
    let position = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkSize);
      const read = fs.readSync(fd, chunk, 0, chunkSize, position);
      if (read === 0) break;
      position += read;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, read)]) : chunk;
      const length = carry.length + read;
      let lineStart = 0;
      for (;;) {
        const nl = data.indexOf(10, lineStart);
        if (nl === -1 || nl >= length) break;
        const text = data.toString("utf8", lineStart, nl);
        if (!onLine(text, carryStart + lineStart, carryStart + nl + 1, true)) return;
        lineStart = nl + 1;
      }
      carry = Buffer.from(data.subarray(lineStart, length));
      carryStart += lineStart;
    }
    if (carry.length > 0) {
      onLine(carry.toString("utf8"), carryStart, carryStart + carry.length, false);
    }
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether a process with this pid exists (a lock held by a dead one can be taken over). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class Persistence {
  readonly dir: string;
  /** Loaded state per component path; the engine takes components out as it installs them. */
  readonly loaded = new Map<string, PersistedComponent>();
  lastCommitTs = 0n;

  private readonly options: PersistenceOptions;
  private gen = 1;
  /** WAL lines not yet handed to the writer, for generation `gen`. */
  private buffer: string[] = [];
  /** The transaction being assembled (one line per commit timestamp): JSON text per component. */
  private open: { ts: string | null; parts: Map<string, string> } | null = null;
  /** The WAL file of generation `gen`, opened at its first write. */
  private file: WalFile | null = null;
  /** performance.now() of the last write; commits write when flushIntervalMs has passed. */
  private lastWriteAt = 0;
  private writeQueued = false;
  /** WAL files with appends not yet on disk (the current one, and rotated ones being synced). */
  private unsynced = new Set<WalFile>();
  /** Set when a WAL write failed: persistence stops rather than leave a gap in the log. */
  private failure: Error | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private warnedClosed = false;
  private compaction: Promise<void> | null = null;
  private compactionStarting = false;
  private exitHandler: (() => void) | null = null;
  private snapshotBytes = 0;
  private walBytes = 0;
  private stats_: {
    loadMs: number;
    loadedDocuments: number;
    replayedTransactions: number;
    truncatedTailBytes: number;
    flushes: number;
    lastFlushAt: number | null;
    compactions: number;
    lastCompactionMs: number | null;
  };
  /** Set by the engine: captures the state for a compaction. */
  captureState: (() => StateView) | null = null;

  private constructor(dir: string, options: PersistenceOptions) {
    this.dir = dir;
    this.options = options;
    this.stats_ = {
      loadMs: 0,
      loadedDocuments: 0,
      replayedTransactions: 0,
      truncatedTailBytes: 0,
      flushes: 0,
      lastFlushAt: null,
      compactions: 0,
      lastCompactionMs: null,
    };
  }

  /** Opens (creating if needed) a data directory and loads its state synchronously. */
  static open(dir: string, options: PersistenceOptions): Persistence {
    const p = new Persistence(path.resolve(dir), options);
    fs.mkdirSync(p.dir, { recursive: true });
    p.lock();
    try {
      const started = performance.now();
      if (options.fresh) p.erase();
      p.load();
      p.stats_.loadMs = performance.now() - started;
    } catch (e) {
      p.unlock();
      throw e;
    }
    // Commits write the log themselves once flushIntervalMs has passed (see record()); the timer
    // covers the last commits before a quiet period.
    p.timer = setInterval(() => p.writeNow(), options.flushIntervalMs);
    p.timer.unref();
    // On a normal exit without close(): write what is buffered (synchronously, as exit requires).
    p.exitHandler = () => {
      if (!p.closed) p.writeNow();
    };
    process.on("exit", p.exitHandler);
    return p;
  }

  private lock(): void {
    const lockFile = path.join(this.dir, LOCK);
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const pid = Number(fs.readFileSync(lockFile, "utf8").trim());
    if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) {
      throw new Error(
        `local engine: data directory ${this.dir} is in use by process ${pid}` +
          (pid === process.pid ? " (this process: close the other engine first)" : ""),
      );
    }
    fs.writeFileSync(lockFile, String(process.pid));
  }

  private unlock(): void {
    try {
      const lockFile = path.join(this.dir, LOCK);
      if (fs.readFileSync(lockFile, "utf8").trim() === String(process.pid)) fs.unlinkSync(lockFile);
    } catch {
      // already gone
    }
  }

  /** Deletes the engine's files (only those) from the directory. */
  private erase(): void {
    for (const name of fs.readdirSync(this.dir)) {
      if (name === SNAPSHOT || name === SNAPSHOT_TMP || WAL_RE.test(name)) {
        fs.rmSync(path.join(this.dir, name), { force: true });
      }
    }
  }

  private component(componentPath: string): PersistedComponent {
    let c = this.loaded.get(componentPath);
    if (c === undefined) {
      c = { tables: new Map(), nextDocId: 0, lastCreationTime: 0 };
      this.loaded.set(componentPath, c);
    }
    return c;
  }

  private load(): void {
    fs.rmSync(path.join(this.dir, SNAPSHOT_TMP), { force: true });
    let snapshotGen = 0;
    const snapshotFile = path.join(this.dir, SNAPSHOT);
    if (fs.existsSync(snapshotFile)) {
      snapshotGen = this.loadSnapshot(snapshotFile);
      this.snapshotBytes = fs.statSync(snapshotFile).size;
    }
    const wals = fs
      .readdirSync(this.dir)
      .map((name) => ({ name, m: WAL_RE.exec(name) }))
      .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
      .map(({ name, m }) => ({ name, gen: Number(m[1]) }))
      .sort((a, b) => a.gen - b.gen);
    let lastGen = snapshotGen;
    for (const [k, wal] of wals.entries()) {
      const file = path.join(this.dir, wal.name);
      if (wal.gen < snapshotGen) {
        fs.rmSync(file, { force: true }); // already in the snapshot (a compaction was cut short)
        continue;
      }
      this.replayWal(file, k === wals.length - 1);
      this.walBytes += fs.statSync(file).size;
      lastGen = Math.max(lastGen, wal.gen);
    }
    // New writes go to a fresh generation; older files are never appended to again.
    this.gen = Math.max(lastGen + 1, 1);
    for (const c of this.loaded.values()) {
      for (const docs of c.tables.values()) this.stats_.loadedDocuments += docs.size;
    }
  }

  private loadSnapshot(file: string): number {
    // (a holder object: TypeScript does not track assignments made inside the callback)
    const state: { header: SnapshotHeader | null } = { header: null };
    let componentIndex = 0;
    let left = 0;
    let total = 0;
    let ended = false;
    readLinesSync(file, (text, _start, _end, complete) => {
      if (!complete) return false;
      let header = state.header;
      if (header === null) {
        header = state.header = JSON.parse(text) as SnapshotHeader;
        if (header.format !== FORMAT || header.version !== FORMAT_VERSION) {
          throw new Error(`local engine: ${file} is not a version ${FORMAT_VERSION} snapshot`);
        }
        this.lastCommitTs = BigInt(header.lastCommitTs);
        for (const c of header.components) {
          const pc = this.component(c.path);
          pc.nextDocId = c.nextDocId;
          pc.lastCreationTime = c.lastCreationTime;
        }
        left = header.components[0]?.docs ?? 0;
        return true;
      }
      while (left === 0 && componentIndex < header.components.length - 1) {
        componentIndex += 1;
        left = header.components[componentIndex].docs;
      }
      if (left === 0) {
        const end = JSON.parse(text) as { end?: boolean; docs?: number };
        if (end.end !== true || end.docs !== total) {
          throw new Error(`local engine: snapshot ${file} has a bad end marker`);
        }
        ended = true;
        return false;
      }
      const doc = docFromText(text);
      this.put(this.component(header.components[componentIndex].path), doc);
      left -= 1;
      total += 1;
      return true;
    });
    if (state.header === null || !ended) {
      throw new Error(
        `local engine: snapshot ${file} is incomplete (no end marker); ` +
          "start with --fresh to discard the data directory",
      );
    }
    return state.header.gen;
  }

  private put(c: PersistedComponent, doc: Doc): void {
    const table = tableNameFromId(doc._id);
    if (table === null) throw new Error(`local engine: bad document id ${doc._id}`);
    let docs = c.tables.get(table);
    if (docs === undefined) {
      docs = new Map();
      c.tables.set(table, docs);
    }
    docs.set(doc._id, doc);
    const counter = idCounter(doc._id);
    if (counter !== null && counter >= c.nextDocId) c.nextDocId = counter + 1;
    if (doc._creationTime > c.lastCreationTime) c.lastCreationTime = doc._creationTime;
  }

  private replayWal(file: string, isLast: boolean): void {
    const bad: { at: number | null } = { at: null };
    readLinesSync(file, (text, start, _end, complete) => {
      const line = complete ? decodeLine(text) : null;
      if (line === null) {
        bad.at = start;
        return false;
      }
      this.apply(line);
      this.stats_.replayedTransactions += 1;
      return true;
    });
    const badAt = bad.at;
    if (badAt === null) return;
    const size = fs.statSync(file).size;
    if (!isLast) {
      throw new Error(
        `local engine: WAL ${file} is corrupted at byte ${badAt} of ${size} and later WAL files ` +
          "exist; refusing to load a state with a gap (start with --fresh to discard it)",
      );
    }
    this.options.log(
      `local engine: dropped a torn/corrupted tail of ${size - badAt} bytes from ${file}`,
    );
    this.stats_.truncatedTailBytes += size - badAt;
    fs.truncateSync(file, badAt);
  }

  private apply(line: WalLine): void {
    if (line.ts !== null) {
      const ts = BigInt(line.ts);
      if (ts > this.lastCommitTs) this.lastCommitTs = ts;
    }
    for (const [componentPath, entry] of Object.entries(line.c)) {
      const c = this.component(componentPath);
      for (const [id, json] of entry.w) {
        if (json === null) {
          const table = tableNameFromId(id);
          if (table !== null) c.tables.get(table)?.delete(id);
          const counter = idCounter(id);
          if (counter !== null && counter >= c.nextDocId) c.nextDocId = counter + 1;
        } else {
          this.put(c, line.plain === true ? (json as Doc) : docFromJson(json));
        }
      }
      if (entry.n > c.nextDocId) c.nextDocId = entry.n;
      if (entry.lt > c.lastCreationTime) c.lastCreationTime = entry.lt;
    }
  }

  /**
   * Buffers the writes of one component's top-level commit. Commits of the same transaction in
   * several components (same commit timestamp, consecutive) share one WAL line.
   */
  record(
    commitTs: bigint | null,
    componentPath: string,
    nextDocId: number,
    lastCreationTime: number,
    writes: ReadonlyArray<readonly [string, Doc | null, string?]>,
  ): void {
    if (this.closed) {
      if (!this.warnedClosed)
        this.options.log("local engine: writes after close() are not persisted");
      this.warnedClosed = true;
      return;
    }
    const ts = commitTs === null ? null : commitTs.toString();
    if (
      this.open !== null &&
      (ts === null || this.open.ts !== ts || this.open.parts.has(componentPath))
    ) {
      this.seal();
    }
    if (this.open === null) this.open = { ts, parts: new Map() };
    // Serialized now, spread over the commits, rather than all at once when writing.
    const w = writes.map(
      ([id, doc, text]) =>
        `[${JSON.stringify(id)},${doc === null ? "null" : (text ?? docText(doc))}]`,
    );
    this.open.parts.set(
      componentPath,
      `${JSON.stringify(componentPath)}:{"n":${nextDocId},"lt":${lastCreationTime},"w":[${w.join(",")}]}`,
    );
    if (commitTs !== null && commitTs > this.lastCommitTs) this.lastCommitTs = commitTs;
    if (!this.writeQueued && performance.now() - this.lastWriteAt >= this.options.flushIntervalMs) {
      // Write after the current commit has finished in every component (a microtask runs after
      // convex-test's synchronous commit loop), so a transaction is never split across writes.
      this.writeQueued = true;
      queueMicrotask(() => {
        this.writeQueued = false;
        this.writeNow();
      });
    }
  }

  /** Closes the transaction being assembled into a WAL line. */
  private seal(): void {
    if (this.open === null) return;
    const { ts, parts } = this.open;
    const json = `{"ts":${JSON.stringify(ts)},"c":{${Array.from(parts.values()).join(",")}}}`;
    this.buffer.push(encodeLine(json));
    this.open = null;
  }

  /**
   * Appends everything committed so far to the WAL, synchronously (a write into the page cache:
   * durable against a crash of this process at once, independent of the event loop, which a
   * driver running back-to-back in-process calls may starve), then asks for an fdatasync on the
   * libuv thread pool (durable against a crash of the machine when it completes).
   */
  private writeNow(): void {
    if (this.failure !== null || this.closed) return;
    this.seal();
    this.lastWriteAt = performance.now();
    if (this.buffer.length === 0) return;
    const data = Buffer.from(this.buffer.join(""));
    this.buffer = [];
    try {
      if (this.file === null) {
        this.file = {
          fd: fs.openSync(path.join(this.dir, walName(this.gen)), "a"),
          written: 0,
          synced: 0,
          syncing: false,
          syncAgain: false,
          retired: false,
          waiters: [],
        };
      }
      let written = 0;
      while (written < data.length) written += fs.writeSync(this.file.fd, data, written);
      this.file.written += 1;
      this.unsynced.add(this.file);
    } catch (e) {
      this.fail(e);
      return;
    }
    this.walBytes += data.length;
    this.stats_.flushes += 1;
    this.stats_.lastFlushAt = Date.now();
    this.sync(this.file);
    if (
      this.compaction === null &&
      !this.compactionStarting &&
      this.walBytes > Math.max(this.options.compactMinBytes, this.snapshotBytes)
    ) {
      // Not from here: this write may be the one a starting compaction's rotation does.
      queueMicrotask(() => {
        this.compact().catch((e: unknown) =>
          this.options.log(`local engine: compaction failed: ${String(e)}`),
        );
      });
    }
  }

  /**
   * An asynchronous fdatasync of a WAL file, coalesced: at most one in flight per file, and one
   * more queued behind it covering every append made meanwhile (group commit: concurrent
   * requests share one fdatasync). A sync covers the appends made before it started.
   */
  private sync(file: WalFile): void {
    if (file.syncing) {
      file.syncAgain = true;
      return;
    }
    file.syncing = true;
    const covers = file.written;
    fs.fdatasync(file.fd, (err) => {
      file.syncing = false;
      if (err !== null) this.fail(err);
      else file.synced = Math.max(file.synced, covers);
      this.settle(file);
      if (file.syncAgain && this.failure === null) {
        file.syncAgain = false;
        this.sync(file);
      } else if (file.retired) {
        // Closed only now: an fd must not be closed (and its number reused) under a pending sync.
        fs.close(file.fd, () => undefined);
      }
    });
  }

  /** Resolves the waiters a file's synced appends cover (or rejects all after a failure). */
  private settle(file: WalFile): void {
    if (file.synced >= file.written) this.unsynced.delete(file);
    const waiting = file.waiters;
    file.waiters = [];
    for (const w of waiting) {
      if (this.failure !== null) w.reject(this.failure);
      else if (w.upTo <= file.synced) w.resolve();
      else file.waiters.push(w);
    }
  }

  private fail(e: unknown): void {
    if (this.failure !== null) return;
    // A failed append could leave a gap or a torn line in the middle of the log: stop persisting
    // and report it on every later flush instead.
    this.failure = new Error(`local engine: WAL write failed, persistence stopped: ${String(e)}`);
    this.options.log(this.failure.message);
    for (const file of this.unsynced) this.settle(file);
  }

  /**
   * Writes everything committed so far and resolves once it is on disk (fdatasync'ed). Cheap
   * when nothing is pending; concurrent callers share the same fdatasync.
   */
  flush(): Promise<void> {
    this.writeNow();
    if (this.failure !== null) return Promise.reject(this.failure);
    const waits: Promise<void>[] = [];
    for (const file of this.unsynced) {
      if (file.synced >= file.written) continue;
      waits.push(
        new Promise((resolve, reject) =>
          file.waiters.push({ upTo: file.written, resolve, reject }),
        ),
      );
      if (!file.syncing) this.sync(file);
    }
    return waits.length === 0 ? Promise.resolve() : Promise.all(waits).then(() => undefined);
  }

  /** Ends the current WAL generation: later commits go to generation gen + 1. Synchronous. */
  private rotate(): void {
    this.writeNow();
    const file = this.file;
    if (file !== null) {
      file.retired = true;
      if (!file.syncing) fs.closeSync(file.fd);
    }
    this.file = null;
    this.gen += 1;
  }

  /** Starts a compaction (or returns the one running). */
  compact(): Promise<void> {
    if (this.compaction !== null) return this.compaction;
    const capture = this.captureState;
    if (capture === null) return Promise.resolve();
    if (this.closed || this.failure !== null) return Promise.resolve();
    // Synchronously: everything committed so far goes to generation `old`; the state captured
    // now is exactly the effect of generations <= old. (No second compaction may start from
    // the rotation's write: one at a time, they share the temporary file.)
    const old = this.gen;
    this.compactionStarting = true;
    let view: StateView;
    try {
      this.rotate();
      view = capture();
    } finally {
      this.compactionStarting = false;
    }
    const started = performance.now();
    this.compaction = (async () => {
      try {
        const bytes = await this.writeSnapshot(view, old + 1);
        await fsp.rename(path.join(this.dir, SNAPSHOT_TMP), path.join(this.dir, SNAPSHOT));
        fsyncDir(this.dir);
        for (const name of await fsp.readdir(this.dir)) {
          const m = WAL_RE.exec(name);
          if (m !== null && Number(m[1]) <= old) await fsp.rm(path.join(this.dir, name));
        }
        this.snapshotBytes = bytes;
        this.walBytes = await this.currentWalBytes();
        this.stats_.compactions += 1;
        this.stats_.lastCompactionMs = performance.now() - started;
      } finally {
        this.compaction = null;
      }
    })();
    return this.compaction;
  }

  private async currentWalBytes(): Promise<number> {
    let total = 0;
    for (const name of await fsp.readdir(this.dir)) {
      if (WAL_RE.test(name)) total += (await fsp.stat(path.join(this.dir, name))).size;
    }
    return total;
  }

  private async writeSnapshot(view: StateView, gen: number): Promise<number> {
    const file = await fsp.open(path.join(this.dir, SNAPSHOT_TMP), "w");
    let bytes = 0;
    try {
      const header = {
        format: FORMAT,
        version: FORMAT_VERSION,
        gen,
        lastCommitTs: view.lastCommitTs.toString(),
        components: view.components.map((c) => ({
          path: c.path,
          nextDocId: c.nextDocId,
          lastCreationTime: c.lastCreationTime,
          docs: c.tables.reduce((n, [, docs]) => n + docs.length, 0),
        })),
      };
      let chunk = JSON.stringify(header) + "\n";
      let total = 0;
      // Serialization runs on the main thread: write (and let requests run) every
      // SNAPSHOT_CHUNK characters, i.e. every few milliseconds of work.
      const put = async () => {
        await file.write(chunk);
        bytes += Buffer.byteLength(chunk);
        chunk = "";
        await new Promise((resolve) => setImmediate(resolve));
      };
      for (const c of view.components) {
        for (const [, docs] of c.tables) {
          for (const doc of docs) {
            chunk += docText(doc) + "\n";
            total += 1;
            if (chunk.length >= SNAPSHOT_CHUNK) await put();
          }
        }
      }
      chunk += JSON.stringify({ end: true, docs: total }) + "\n";
      await put();
      await file.sync();
    } finally {
      await file.close();
    }
    return bytes;
  }

  /** Flushes, waits for a running compaction, optionally compacts, and releases the directory. */
  async close(options: { compact: boolean }): Promise<void> {
    if (this.closed) return;
    if (this.timer !== null) clearInterval(this.timer);
    try {
      if (this.compaction !== null) await this.compaction;
      // Commits of the last flush interval may still be buffered: write them first, so that
      // `walBytes` counts them when deciding whether there is anything to compact.
      this.writeNow();
      if (options.compact && this.walBytes > 0) await this.compact();
      await this.flush();
    } finally {
      this.closed = true;
      if (this.exitHandler !== null) process.off("exit", this.exitHandler);
      const file = this.file;
      this.file = null;
      if (file !== null) {
        file.retired = true;
        if (!file.syncing) fs.closeSync(file.fd);
      }
      this.unlock();
    }
  }

  stats(): PersistenceStats {
    return {
      dataDir: this.dir,
      ...this.stats_,
      walGeneration: this.gen,
      walBytesSinceSnapshot: this.walBytes,
      snapshotBytes: this.snapshotBytes,
      bufferedTransactions: this.buffer.length + (this.open === null ? 0 : 1),
      compacting: this.compaction !== null,
    };
  }
}
