/**
 * Committed storage of one table of one component: the documents by id (a Map, whose insertion
 * order is the order convex-test's `_documents` object would enumerate them in) and one ordered
 * index per schema index plus `by_id` and `by_creation_time`.
 *
 * Invariant: after every top-level commit, for every index, the index's list holds exactly the
 * table's documents (the same object references as `docs`), sorted by the index key
 * (index fields, then `_creationTime`, then `_id`).
 */
import { docComparator, fieldGetter, type Doc, type Getter } from "./keys";
import { SortedChunkList } from "./sortedList";

export interface IndexSpec {
  /** The index descriptor as used in `withIndex` ("by_id", "by_creation_time", "by_user"). */
  name: string;
  /** The full sort key, as convex-test sorts the index: fields + `_creationTime` + `_id`. */
  fields: string[];
}

/** Index specs of a table: the two system indexes plus the schema's indexes. */
export function indexSpecsFor(
  schemaIndexes: ReadonlyArray<{ indexDescriptor: string; fields: string[] }>,
): IndexSpec[] {
  return [
    { name: "by_id", fields: ["_id"] },
    { name: "by_creation_time", fields: ["_creationTime", "_id"] },
    ...schemaIndexes.map(({ indexDescriptor, fields }) => ({
      name: indexDescriptor,
      fields: [...fields, "_creationTime", "_id"],
    })),
  ];
}

export class TableIndex {
  readonly getters: Getter[];
  readonly compare: (a: Doc, b: Doc) => number;
  list: SortedChunkList<Doc>;

  constructor(
    readonly spec: IndexSpec,
    private readonly chunkLoad = 512,
  ) {
    this.getters = spec.fields.map(fieldGetter);
    this.compare = docComparator(this.getters);
    this.list = new SortedChunkList<Doc>(this.compare, chunkLoad);
  }

  /** Rebuilds the index from scratch over `docs` (one sort, O(n log n); O(n) if presorted). */
  build(docs: Iterable<Doc>): void {
    const all = Array.from(docs);
    all.sort(this.compare);
    for (let k = 1; k < all.length; k++) {
      if (this.compare(all[k - 1], all[k]) === 0) {
        throw new Error(`duplicate key in index ${this.spec.name}: ${all[k]._id}`);
      }
    }
    this.list = SortedChunkList.fromSorted(all, this.compare, this.chunkLoad);
  }
}

export class TableStore {
  readonly docs: Map<string, Doc>;
  readonly indexes = new Map<string, TableIndex>();

  constructor(
    readonly name: string,
    specs: readonly IndexSpec[],
    initial?: Map<string, Doc>,
    chunkLoad?: number,
  ) {
    this.docs = initial ?? new Map<string, Doc>();
    for (const spec of specs) {
      const index = new TableIndex(spec, chunkLoad);
      if (this.docs.size > 0) index.build(this.docs.values());
      this.indexes.set(spec.name, index);
    }
  }

  get size(): number {
    return this.docs.size;
  }

  get(id: string): Doc | undefined {
    return this.docs.get(id);
  }

  /** Inserts or replaces the document with id `doc._id`. */
  put(doc: Doc): void {
    const old = this.docs.get(doc._id);
    // Map.set on an existing key keeps its position, like assigning an existing object key.
    this.docs.set(doc._id, doc);
    for (const index of this.indexes.values()) {
      if (old === undefined) {
        index.list.insert(doc);
      } else if (index.compare(old, doc) === 0) {
        if (!index.list.replace(doc)) throw new Error(`index ${index.spec.name} lost ${doc._id}`);
      } else {
        if (!index.list.delete(old)) throw new Error(`index ${index.spec.name} lost ${doc._id}`);
        index.list.insert(doc);
      }
    }
  }

  delete(id: string): void {
    const old = this.docs.get(id);
    if (old === undefined) return;
    this.docs.delete(id);
    for (const index of this.indexes.values()) {
      if (!index.list.delete(old)) throw new Error(`index ${index.spec.name} lost ${id}`);
    }
  }

  /** Checks that every index holds exactly the table's documents in order (for tests). */
  checkInvariants(): void {
    for (const index of this.indexes.values()) {
      index.list.checkInvariants();
      if (index.list.size !== this.docs.size) {
        throw new Error(`index ${index.spec.name} has ${index.list.size} of ${this.docs.size}`);
      }
      for (const doc of index.list.toArray()) {
        if (this.docs.get(doc._id) !== doc) {
          throw new Error(`index ${index.spec.name} holds a stale version of ${doc._id}`);
        }
      }
    }
  }
}
