/**
 * Query instances shared by the sync sessions: one per (function, arguments, identity) with its
 * last result, the read set of the execution that produced it, and the interval of timestamps
 * it is valid over. A commit marks the instances it touches (read sets, `ReadSetIndex`); a
 * session re-runs only those.
 *
 * Validity: an execution at snapshot S reads the state as of commit S, so its result holds at
 * every timestamp from S up to (excluded) the first later commit that touches its read set
 * (`invalidAt`). A commit landing while the execution runs was not seen by it: the commits of
 * that window are kept (`log`) and checked against the new read set when the execution ends.
 */
import { makeFunctionReference, type FunctionReference } from "convex/server";
import { convexToJson, type JSONValue, type Value } from "convex/values";
import type { CommitChanges, ReadEntry, TrackedRun } from "../engine";
import {
  CallError,
  callArgs,
  errorOutcome,
  type FunctionKind,
  type PublicFunctions,
} from "./functions";
import type { StateModification } from "./protocol";
import { ReadSetIndex, readSetTouched } from "./readSets";

/** A verified identity, as `ctx.auth.getUserIdentity()` returns it. */
export type Identity = { issuer: string; subject: string; tokenIdentifier: string } & Record<
  string,
  JSONValue | undefined
>;

/** Calls functions as one identity (convex-test's `t` or `t.withIdentity(...)`). */
export interface Caller {
  query(ref: FunctionReference<"query">, args: Record<string, Value>): Promise<unknown>;
  mutation(ref: FunctionReference<"mutation">, args: Record<string, Value>): Promise<unknown>;
  action(ref: FunctionReference<"action">, args: Record<string, Value>): Promise<unknown>;
}

/** What the client API needs of the local backend (`startLocalBackend`'s result fits). */
export interface ClientApiBackend {
  t: Caller & { withIdentity(identity: Identity): Caller };
  engine: {
    trackReads<T>(fn: () => Promise<T>, journal?: string | null): Promise<TrackedRun<T>>;
    onChanges(listener: (commit: CommitChanges) => void): () => void;
    lastCommitTs(): bigint;
  };
}

/** A query's current state as the client receives it, without its query id. */
export type QueryState =
  Exclude<StateModification, { type: "QueryRemoved" }> extends infer M
    ? M extends { queryId: number }
      ? Omit<M, "queryId">
      : never
    : never;

export interface Subscriber {
  /** Called when a commit touched the query (its session re-runs it and sends what changed). */
  invalidated(): void;
}

export class QueryInstance {
  readonly subscribers = new Set<Subscriber>();
  /** The last result and its JSON text (sessions compare texts to skip unchanged results). */
  result: { state: QueryState; text: string } | null = null;
  validFrom = 0n;
  /** The first commit after `validFrom` that touches the read set; null: still valid. */
  invalidAt: bigint | null = 0n;
  running: Promise<void> | null = null;

  constructor(
    /** Key in the shared map; null once private (a page with a journal). */
    public key: string | null,
    readonly udfPath: string,
    readonly args: JSONValue[],
    readonly identity: Identity | null,
    /** The end cursor of its page (the query journal), once known. */
    public journal: string | null,
    readonly componentPath: string | undefined,
  ) {}
}

/**
 * The latest timestamp every result of `instances` is valid at (at most `now`), or null when
 * there is none: one of them has no result yet, or one was computed at a snapshot later than
 * another's invalidation (that one must run again first).
 */
export function consistentTs(instances: Iterable<QueryInstance>, now: bigint): bigint | null {
  let ts = now;
  let from = 0n;
  for (const q of instances) {
    if (q.result === null) return null;
    if (q.invalidAt !== null && q.invalidAt - 1n < ts) ts = q.invalidAt - 1n;
    if (q.validFrom > from) from = q.validFrom;
  }
  return ts >= from ? ts : null;
}

/** The outcome of a function call by a client. */
export type Outcome =
  | { success: true; value: JSONValue; ts: bigint }
  | { success: false; errorMessage: string; errorData?: JSONValue };

/** Bounds of the wait of invalidated queries while re-runs are over their budget. */
export const MIN_DEFER_MS = 100;
export const MAX_DEFER_MS = 2000;

export class QueryHub {
  /** Re-runs' time in the engine over the last second (see `rerunDelayMs`). */
  private spent: Array<{ at: number; ms: number }> = [];
  private readonly shared = new Map<string, QueryInstance>();
  private readonly index = new ReadSetIndex<QueryInstance>();
  /** Commits since the oldest running execution started (see the file comment). */
  private log: CommitChanges[] = [];
  private logBase = 0;
  private readonly running = new Map<object, number>();
  private readonly unsubscribe: () => void;
  /** Executions run (for tests and the bench: re-runs only of touched queries). */
  executions = 0;

  constructor(
    private readonly backend: ClientApiBackend,
    private readonly functions: PublicFunctions,
    /**
     * Share of the engine's time (over the last second) that queries re-run for subscribers
     * may take before further re-runs are spaced out (`rerunDelayMs`): under a heavy write
     * load, subscriptions then get fewer, coalesced updates instead of slowing the writes down.
     * 1 disables it.
     */
    private readonly rerunBudget = 0.05,
  ) {
    this.unsubscribe = backend.engine.onChanges((commit) => this.onCommit(commit));
  }

  close(): void {
    this.unsubscribe();
  }

  lastCommitTs(): bigint {
    return this.backend.engine.lastCommitTs();
  }

  get instances(): number {
    return this.index.size;
  }

  private onCommit(commit: CommitChanges): void {
    if (this.running.size > 0) this.log.push(commit);
    for (const instance of this.index.touchedBy(commit)) {
      if (instance.invalidAt === null) instance.invalidAt = commit.ts;
      for (const subscriber of instance.subscribers) subscriber.invalidated();
    }
  }

  /** The instance for a subscription (shared when it has no journal). */
  acquire(
    subscriber: Subscriber,
    udfPath: string,
    args: JSONValue[],
    identity: Identity | null,
    journal: string | null,
    componentPath?: string,
  ): QueryInstance {
    const key =
      journal === null && componentPath === undefined
        ? JSON.stringify([udfPath.replace(/\.js:/, ":"), args, identity])
        : null;
    let instance = key === null ? undefined : this.shared.get(key);
    if (instance === undefined) {
      instance = new QueryInstance(key, udfPath, args, identity, journal, componentPath);
      if (key !== null) this.shared.set(key, instance);
    }
    instance.subscribers.add(subscriber);
    return instance;
  }

  release(subscriber: Subscriber, instance: QueryInstance): void {
    instance.subscribers.delete(subscriber);
    if (instance.subscribers.size > 0) return;
    this.index.delete(instance);
    if (instance.key !== null && this.shared.get(instance.key) === instance) {
      this.shared.delete(instance.key);
    }
  }

  /** Runs the query again (joins a run in progress). */
  refresh(instance: QueryInstance): Promise<void> {
    if (instance.running !== null) return instance.running;
    const run = this.execute(instance).finally(() => {
      instance.running = null;
    });
    instance.running = run;
    return run;
  }

  private async execute(instance: QueryInstance): Promise<void> {
    const token = {};
    const start = this.logBase + this.log.length;
    this.running.set(token, start);
    const rerun = instance.result !== null;
    try {
      this.executions += 1;
      const run = await this.backend.engine.trackReads(async () => {
        if (instance.componentPath !== undefined) {
          throw new CallError("Only admin auth may call functions of a component.");
        }
        const name = await this.functions.resolve(instance.udfPath, "query");
        const args = callArgs(instance.args);
        return this.caller(instance.identity).query(makeFunctionReference<"query">(name), args);
      }, instance.journal);
      const state: QueryState = run.ok
        ? {
            type: "QueryUpdated",
            value: convexToJson(run.value as Value),
            logLines: [],
            journal: run.journal,
          }
        : { type: "QueryFailed", ...queryError(run.error), logLines: [], journal: run.journal };
      if (instance.journal === null && run.journal !== null) {
        // Its page now ends at a fixed cursor: a new subscriber to the same arguments must get
        // a fresh first page, not this one.
        instance.journal = run.journal;
        if (instance.key !== null && this.shared.get(instance.key) === instance) {
          this.shared.delete(instance.key);
        }
        instance.key = null;
      }
      instance.result = { state, text: JSON.stringify(state) };
      // Only re-runs count against the budget (a first run answers a client's request).
      if (rerun) {
        this.spent.push({ at: performance.now(), ms: run.transactionMs });
        if (this.spent.length > 10_000) this.spent.splice(0, 5_000); // trimmed by age in rerunDelayMs
      }
      instance.validFrom = run.snapshotTs;
      instance.invalidAt = this.firstTouch(run.reads, run.snapshotTs, start);
      if (instance.subscribers.size > 0) this.index.set(instance, run.reads);
    } finally {
      this.running.delete(token);
      this.trimLog();
    }
  }

  /**
   * 0 while re-runs took less than their budget over the last second; else how long to wait so
   * that their time over the window comes back to the budget (100 ms to 2 s), during which
   * further commits coalesce into one re-run per query.
   */
  rerunDelayMs(): number {
    if (this.rerunBudget >= 1) return 0;
    const since = performance.now() - 1000;
    while (this.spent.length > 0 && this.spent[0].at < since) this.spent.shift();
    let total = 0;
    for (const s of this.spent) total += s.ms;
    const allowed = this.rerunBudget * 1000;
    if (total <= allowed) return 0;
    return Math.min(MAX_DEFER_MS, Math.max(MIN_DEFER_MS, (total / allowed - 1) * 1000));
  }

  private firstTouch(reads: readonly ReadEntry[], snapshotTs: bigint, start: number) {
    for (let k = Math.max(0, start - this.logBase); k < this.log.length; k++) {
      const commit = this.log[k];
      if (commit.ts > snapshotTs && readSetTouched(reads, commit)) return commit.ts;
    }
    return null;
  }

  private trimLog(): void {
    if (this.running.size === 0) {
      this.logBase += this.log.length;
      this.log = [];
      return;
    }
    const oldest = Math.min(...this.running.values());
    const drop = oldest - this.logBase;
    if (drop > 256) {
      this.log = this.log.slice(drop);
      this.logBase = oldest;
    }
  }

  caller(identity: Identity | null): Caller {
    return identity === null ? this.backend.t : this.backend.t.withIdentity(identity);
  }

  /** Runs a mutation or an action for a client (the error as the client receives it). */
  async call(
    kind: Exclude<FunctionKind, "query"> | "query",
    udfPath: string,
    args: unknown,
    identity: Identity | null,
    componentPath?: string,
  ): Promise<Outcome> {
    try {
      if (componentPath !== undefined) {
        throw new CallError("Only admin auth may call functions of a component.");
      }
      const name = await this.functions.resolve(udfPath, kind);
      const caller = this.caller(identity);
      const decoded = callArgs(args);
      const value =
        kind === "query"
          ? await caller.query(makeFunctionReference<"query">(name), decoded)
          : kind === "mutation"
            ? await caller.mutation(makeFunctionReference<"mutation">(name), decoded)
            : await caller.action(makeFunctionReference<"action">(name), decoded);
      return {
        success: true,
        value: convexToJson((value ?? null) as Value),
        ts: this.lastCommitTs(),
      };
    } catch (error) {
      const { errorMessage, errorData } = errorOutcome(error);
      return errorData === undefined
        ? { success: false, errorMessage }
        : { success: false, errorMessage, errorData };
    }
  }
}

function queryError(error: unknown): { errorMessage: string; errorData: JSONValue } {
  const outcome = errorOutcome(error);
  // `errorData` is only present for ConvexErrors (the client makes a ConvexError of it).
  return { errorMessage: outcome.errorMessage, errorData: outcome.errorData as JSONValue };
}
