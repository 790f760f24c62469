/**
 * One WebSocket connection of a Convex client: its query set, identity and the state version it
 * last sent. The facts the client relies on (and fails on silently otherwise):
 *
 * - every `Transition` starts at the version last sent and ends at a version whose timestamp all
 *   its subscriptions' results are valid at (one consistent snapshot of the session's queries);
 * - the messages of one socket are handled one after the other, in order;
 * - an accepted `Authenticate` raises the identity version (only then does the client consider
 *   its token confirmed) and every query runs again under the new identity;
 * - a `MutationResponse` is followed by a `Transition` whose timestamp covers the mutation (an
 *   empty one if nothing the session watches changed), or the client's promise never resolves;
 * - a mutation re-sent after a reconnect (same session id and request id) runs once;
 * - `Remove` is answered by `QueryRemoved`; unchanged results are not sent again.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { decodeJwt } from "jose";
import type WebSocket from "ws";
import type { JSONValue } from "convex/values";
import {
  encodeTs,
  modificationText,
  transitionMessage,
  type AddQuery,
  type ClientMessage,
  type RequestMessage,
} from "./protocol";
import {
  consistentTs,
  type Identity,
  type Outcome,
  type QueryHub,
  type QueryInstance,
  type Subscriber,
} from "./queries";
import type { StateVersion } from "./protocol";

/** Verifies a client's JWT and builds its identity; throws with the reason to report. */
export type TokenVerifier = (token: string) => Promise<Identity>;

/** Results of mutations by (session id, request id), kept for re-sent mutations. Bounded. */
export class MutationMemory {
  private readonly entries = new Map<string, Promise<Outcome>>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The outcome of the mutation `key`, running `run` only the first time. */
  once(key: string, run: () => Promise<Outcome>): Promise<Outcome> {
    let outcome = this.entries.get(key);
    if (outcome === undefined) {
      outcome = run();
      this.entries.set(key, outcome);
      // Oldest first: a client re-sends only its in-flight mutations, right after reconnecting.
      while (this.entries.size > this.capacity) {
        this.entries.delete(this.entries.keys().next().value!);
      }
    }
    return outcome;
  }
}

interface Subscription extends Subscriber {
  queryId: number;
  add: AddQuery;
  instance: QueryInstance;
  /** Text of the state last sent for it (null: none yet). */
  sentText: string | null;
}

/** Flush passes before giving up until the next commit (writes keep invalidating results). */
const MAX_FLUSH_PASSES = 50;

export class SyncSession {
  private sessionId: string | null = null;
  private querySet = 0;
  private identityVersion = 0;
  private identity: Identity | null = null;
  private sent: StateVersion = { querySet: 0, identity: 0, ts: 0n };
  private readonly subs = new Map<number, Subscription>();
  private removed: number[] = [];
  private queue: Promise<void> = Promise.resolve();
  private flushQueued = false;
  private closed = false;
  private readonly pinger: NodeJS.Timeout;
  private expiry: NodeJS.Timeout | null = null;
  /**
   * Runs a function in the context the session was created in. Commits are reported from inside
   * the transaction that made them (a scheduled function of a component, say): work they start
   * must not inherit that function's context (convex-test keeps the running component's
   * path, the request and the identity in AsyncLocalStorage).
   */
  private readonly detached = AsyncLocalStorage.snapshot();

  constructor(
    private readonly ws: WebSocket,
    private readonly hub: QueryHub,
    private readonly mutations: MutationMemory,
    private readonly verifyToken: TokenVerifier,
    pingIntervalMs: number,
    private readonly log: (message: string) => void,
  ) {
    this.pinger = setInterval(() => this.send('{"type":"Ping"}'), pingIntervalMs);
    this.pinger.unref();
    ws.on("message", (data, isBinary) => {
      if (isBinary) return this.fatal("binary messages are not part of the protocol");
      let message: ClientMessage;
      try {
        message = JSON.parse((data as Buffer).toString("utf8")) as ClientMessage;
      } catch {
        return this.fatal("a message is not JSON");
      }
      this.enqueue(() => this.handle(message));
    });
    ws.on("close", () => this.close());
    ws.on("error", () => this.close());
  }

  get subscriptions(): number {
    return this.subs.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pinger);
    if (this.expiry !== null) clearTimeout(this.expiry);
    for (const sub of this.subs.values()) this.hub.release(sub, sub.instance);
    this.subs.clear();
  }

  private send(text: string): void {
    if (!this.closed && this.ws.readyState === this.ws.OPEN) this.ws.send(text);
  }

  private fatal(error: string): void {
    this.log(`sync: closing a client connection: ${error}`);
    this.send(JSON.stringify({ type: "FatalError", error }));
    this.ws.close(1011, error.slice(0, 100));
    this.close();
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error: unknown) => {
      this.fatal(error instanceof Error ? error.message : String(error));
    });
  }

  private scheduleFlush(): void {
    if (this.flushQueued || this.closed) return;
    this.flushQueued = true;
    const flush = () =>
      this.enqueue(async () => {
        this.flushQueued = false;
        await this.flush(0n);
      });
    const delay = this.hub.rerunDelayMs();
    this.detached(() => (delay === 0 ? flush() : void setTimeout(flush, delay)));
  }

  private async handle(message: ClientMessage): Promise<void> {
    if (this.closed) return;
    switch (message.type) {
      case "Connect":
        // A reconnecting client starts from an empty state again (version 0); its session id
        // keys its mutations, which it re-sends.
        this.sessionId = message.sessionId;
        return;
      case "ModifyQuerySet":
        return this.modifyQuerySet(message);
      case "Authenticate":
        return this.authenticate(message);
      case "Mutation":
        return this.mutation(message);
      case "Action":
        return this.action(message);
      case "Event":
        return;
      default:
        return this.fatal(`unknown message type ${(message as { type?: string }).type}`);
    }
  }

  private subscribe(add: AddQuery): Subscription {
    const sub: Subscription = {
      queryId: add.queryId,
      add,
      sentText: null,
      instance: null as unknown as QueryInstance,
      invalidated: () => this.scheduleFlush(),
    };
    sub.instance = this.hub.acquire(
      sub,
      add.udfPath,
      add.args,
      this.identity,
      typeof add.journal === "string" ? add.journal : null,
      add.componentPath ?? undefined,
    );
    return sub;
  }

  private async modifyQuerySet(message: Extract<ClientMessage, { type: "ModifyQuerySet" }>) {
    if (message.baseVersion !== this.querySet) {
      return this.fatal(
        `query set version ${message.baseVersion} does not follow ${this.querySet}`,
      );
    }
    for (const modification of message.modifications) {
      if (modification.type === "Add") {
        if (this.subs.has(modification.queryId)) {
          return this.fatal(`query ${modification.queryId} added twice`);
        }
        this.subs.set(modification.queryId, this.subscribe(modification));
      } else {
        const sub = this.subs.get(modification.queryId);
        if (sub !== undefined) {
          this.subs.delete(modification.queryId);
          this.hub.release(sub, sub.instance);
        }
        this.removed.push(modification.queryId);
      }
    }
    this.querySet = message.newVersion;
    await this.flush(0n);
  }

  private async authenticate(message: Extract<ClientMessage, { type: "Authenticate" }>) {
    if (message.baseVersion !== this.identityVersion) {
      return this.fatal(
        `identity version ${message.baseVersion} does not follow ${this.identityVersion}`,
      );
    }
    let identity: Identity | null = null;
    if (message.tokenType === "User") {
      try {
        identity = await this.verifyToken(message.value ?? "");
      } catch (error) {
        this.send(
          JSON.stringify({
            type: "AuthError",
            error: `Could not verify the token: ${(error as Error).message}`,
            baseVersion: message.baseVersion,
            authUpdateAttempted: true,
          }),
        );
        return;
      }
    } else if (message.tokenType === "Admin") {
      this.send(
        JSON.stringify({
          type: "AuthError",
          error: "Admin keys are not accepted by local mode.",
          baseVersion: message.baseVersion,
          authUpdateAttempted: true,
        }),
      );
      return;
    }
    this.identity = identity;
    this.identityVersion = message.baseVersion + 1;
    this.expireAt(message.tokenType === "User" ? message.value : undefined);
    // Every query runs again as the new identity (another instance of it).
    for (const [queryId, sub] of this.subs) {
      this.hub.release(sub, sub.instance);
      const fresh = this.subscribe(sub.add);
      fresh.sentText = sub.sentText;
      this.subs.set(queryId, fresh);
    }
    await this.flush(0n);
  }

  /**
   * When the token expires, as a deployment does: an `AuthError` (not in answer to an
   * `Authenticate`), then the connection closes; the client fetches a fresh token and
   * reconnects with it.
   */
  private expireAt(token: string | undefined): void {
    if (this.expiry !== null) clearTimeout(this.expiry);
    this.expiry = null;
    const exp = token === undefined ? undefined : expiryOf(token);
    if (exp === undefined) return;
    // (setTimeout's limit is ~24.8 days; a longer-lived token is checked again then.)
    const delay = Math.min(Math.max(0, exp * 1000 - Date.now()), 2 ** 31 - 1);
    this.expiry = setTimeout(() => {
      if (Date.now() < exp * 1000) return this.expireAt(token);
      this.send(
        JSON.stringify({
          type: "AuthError",
          error: "The token expired.",
          baseVersion: this.identityVersion,
          authUpdateAttempted: false,
        }),
      );
      this.ws.close(1000, "token expired");
      this.close();
    }, delay);
    this.expiry.unref();
  }

  private async mutation(message: RequestMessage) {
    if (this.sessionId === null) return this.fatal("Mutation before Connect");
    const identity = this.identity;
    const outcome = await this.mutations.once(`${this.sessionId}|${message.requestId}`, () =>
      this.hub.call("mutation", message.udfPath, message.args, identity, message.componentPath),
    );
    if (outcome.success) {
      this.send(
        JSON.stringify({
          type: "MutationResponse",
          requestId: message.requestId,
          success: true,
          result: outcome.value,
          ts: encodeTs(outcome.ts),
          logLines: [],
        }),
      );
      // Always a Transition after the response: the client settles its mutation on one.
      await this.flush(outcome.ts, true);
    } else {
      this.send(
        JSON.stringify({
          type: "MutationResponse",
          requestId: message.requestId,
          success: false,
          result: outcome.errorMessage,
          errorData: outcome.errorData,
          logLines: [],
        }),
      );
    }
  }

  private action(message: RequestMessage): Promise<void> {
    // Started in order; not awaited: an action (an LLM call, say) must not hold up the
    // socket's queries and mutations. Actions are not retried on reconnect (the client fails them).
    void this.hub
      .call("action", message.udfPath, message.args, this.identity, message.componentPath)
      .then((outcome) => {
        const body: Record<string, JSONValue | undefined> = outcome.success
          ? { success: true, result: outcome.value }
          : { success: false, result: outcome.errorMessage, errorData: outcome.errorData };
        this.send(
          JSON.stringify({
            type: "ActionResponse",
            requestId: message.requestId,
            ...body,
            logLines: [],
          }),
        );
      });
    return Promise.resolve();
  }

  /**
   * Re-runs the invalidated queries, then sends one `Transition` to a timestamp every result
   * is valid at, not before `requiredTs` (a mutation's), with the results that changed.
   */
  private async flush(requiredTs: bigint, always = false): Promise<void> {
    for (let pass = 0; pass < MAX_FLUSH_PASSES; pass++) {
      const stale = new Set<QueryInstance>();
      for (const sub of this.subs.values()) {
        if (sub.instance.invalidAt !== null || sub.instance.result === null) {
          stale.add(sub.instance);
        }
      }
      if (stale.size > 0) await Promise.all(Array.from(stale, (q) => this.hub.refresh(q)));
      if (this.closed) return;
      const ts = consistentTs(
        Array.from(this.subs.values(), (sub) => sub.instance),
        this.hub.lastCommitTs(),
      );
      if (ts !== null && ts >= this.sent.ts && ts >= requiredTs) {
        this.transition(ts, always);
        return;
      }
    }
    this.log("sync: results kept changing during a flush; the next commit sends them");
  }

  private transition(ts: bigint, always: boolean): void {
    const modifications = this.removed.map((queryId) =>
      JSON.stringify({ type: "QueryRemoved", queryId }),
    );
    this.removed = [];
    for (const sub of this.subs.values()) {
      const result = sub.instance.result!;
      if (result.text === sub.sentText) continue;
      sub.sentText = result.text;
      modifications.push(modificationText(sub.queryId, result.text));
    }
    const end: StateVersion = { querySet: this.querySet, identity: this.identityVersion, ts };
    const start = this.sent;
    if (
      !always &&
      modifications.length === 0 &&
      start.querySet === end.querySet &&
      start.identity === end.identity &&
      start.ts === end.ts
    ) {
      return;
    }
    this.send(transitionMessage(start, end, modifications));
    this.sent = end;
  }
}

/**
 * The `exp` claim of a token the verifier accepted, if it is a JWT that has one. (A verifier
 * given to `startSyncServer` may accept tokens that are not JWTs, as the bench's does.)
 */
function expiryOf(token: string): number | undefined {
  try {
    return decodeJwt(token).exp;
  } catch {
    return undefined;
  }
}
