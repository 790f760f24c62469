/**
 * Which subscriptions a commit touches, judged on their read sets (what their last execution
 * read, recorded by the engine: documents by id, index ranges as far as walked, whole tables)
 * against the old and the new version of every document the commit wrote. A subscription whose
 * read set no written version falls in keeps its result: re-running it would read the same
 * documents and return the same value.
 */
import { rangeCovers, type CommitChanges, type RangeRead, type ReadEntry } from "../engine";

const key = (component: string, name: string) => `${component}\u0000${name}`;

interface TableReads {
  whole: boolean;
  ranges: RangeRead[];
}

/** Read sets of many subscribers, indexed by component + table and component + document id. */
export class ReadSetIndex<S> {
  private readonly byDoc = new Map<string, Set<S>>();
  private readonly byTable = new Map<string, Map<S, TableReads>>();
  private readonly keysOf = new Map<S, { docs: string[]; tables: string[] }>();

  get size(): number {
    return this.keysOf.size;
  }

  /** Replaces what `subscriber` read. */
  set(subscriber: S, reads: readonly ReadEntry[]): void {
    this.delete(subscriber);
    const docs = new Set<string>();
    const tables = new Map<string, TableReads>();
    const tableOf = (k: string) => {
      let t = tables.get(k);
      if (t === undefined) tables.set(k, (t = { whole: false, ranges: [] }));
      return t;
    };
    for (const read of reads) {
      if (read.kind === "doc") docs.add(key(read.component, read.id));
      else if (read.kind === "table") tableOf(key(read.component, read.table)).whole = true;
      else if (read.complete || read.last !== null) {
        tableOf(key(read.component, read.table)).ranges.push(read);
      }
    }
    for (const k of docs) {
      let set = this.byDoc.get(k);
      if (set === undefined) this.byDoc.set(k, (set = new Set()));
      set.add(subscriber);
    }
    for (const [k, t] of tables) {
      if (t.whole) t.ranges = [];
      let map = this.byTable.get(k);
      if (map === undefined) this.byTable.set(k, (map = new Map<S, TableReads>()));
      map.set(subscriber, t);
    }
    this.keysOf.set(subscriber, { docs: [...docs], tables: [...tables.keys()] });
  }

  delete(subscriber: S): void {
    const keys = this.keysOf.get(subscriber);
    if (keys === undefined) return;
    this.keysOf.delete(subscriber);
    for (const k of keys.docs) {
      const set = this.byDoc.get(k);
      set?.delete(subscriber);
      if (set?.size === 0) this.byDoc.delete(k);
    }
    for (const k of keys.tables) {
      const map = this.byTable.get(k);
      map?.delete(subscriber);
      if (map?.size === 0) this.byTable.delete(k);
    }
  }

  /** The subscribers whose read set one of the commit's old or new versions falls in. */
  touchedBy(commit: CommitChanges, into: Set<S> = new Set()): Set<S> {
    for (const change of commit.changes) {
      for (const s of this.byDoc.get(key(commit.component, change.id)) ?? []) into.add(s);
      const readers = this.byTable.get(key(commit.component, change.table));
      if (readers === undefined) continue;
      for (const [s, t] of readers) {
        if (into.has(s)) continue;
        if (t.whole || touchesRanges(t.ranges, change.old) || touchesRanges(t.ranges, change.new)) {
          into.add(s);
        }
      }
    }
    return into;
  }
}

function touchesRanges(
  ranges: readonly RangeRead[],
  doc: Parameters<typeof rangeCovers>[1] | null,
) {
  if (doc === null) return false;
  for (const r of ranges) if (rangeCovers(r, doc)) return true;
  return false;
}

/** Whether a commit touches one read set (no index; for checks after a run). */
export function readSetTouched(reads: readonly ReadEntry[], commit: CommitChanges): boolean {
  const index = new ReadSetIndex<true>();
  index.set(true, reads);
  return index.touchedBy(commit).size > 0;
}
