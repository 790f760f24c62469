/**
 * The sync server against the unmodified `convex` client (`ConvexClient` from `convex/browser`
 * and `ConvexHttpClient`, in Node with `ws`), on the local engine with a small app
 * (fixtures/app.ts): subscriptions and their updates, mutations, errors, auth, reconnects, and
 * the protocol facts the client relies on (checked on the raw socket where the client hides them).
 */
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { anyApi, type FunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { createLocalEngine } from "../engine";
import { componentModules, schema as counterSchema } from "../engine/fixtures/component/modules";
import { LocalIssuer, tokenVerifier } from "./auth";
import { schema } from "./fixtures/app";
import { modules } from "./fixtures/modules";
import { decodeTs } from "./protocol";
import { startSyncServer, type SyncServer } from "./server";
import { createServer, type Server } from "node:http";

type Q = FunctionReference<"query">;
const api = anyApi;

let engine: ReturnType<typeof createLocalEngine<(typeof schema)["tables"]>>;
let server: SyncServer;
let clients: ConvexClient[] = [];
let issuer: LocalIssuer;
let jwksServer: Server;

async function startJwks(): Promise<string> {
  jwksServer = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(issuer.jwks()));
  });
  await new Promise<void>((r) => jwksServer.listen(0, "127.0.0.1", r));
  const address = jwksServer.address() as { port: number };
  return `http://127.0.0.1:${address.port}/jwks`;
}

beforeEach(async () => {
  engine = createLocalEngine(schema, modules, { dataDir: null, log: () => undefined });
  engine.t.registerComponent("counter", counterSchema, componentModules);
  issuer = await LocalIssuer.create("https://issuer.test", "app", null);
  const jwks = await startJwks();
  server = await startSyncServer(
    { engine, t: engine.t },
    {
      port: 0,
      modules,
      pingIntervalMs: 300,
      verifyToken: tokenVerifier(
        [
          {
            type: "customJwt",
            issuer: "https://issuer.test",
            jwks,
            algorithm: "RS256",
            applicationID: "app",
          },
        ],
        { jwksCooldownMs: 0 },
      ),
      log: () => undefined,
    },
  );
});

afterEach(async () => {
  for (const c of clients) await c.close();
  clients = [];
  await server.close();
  await new Promise((r) => jwksServer.close(r));
  await engine.close();
});

function client(): ConvexClient {
  const c = new ConvexClient(server.url, {
    webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
    unsavedChangesWarning: false,
    logger: process.env.SYNC_DEBUG ? undefined : false,
    verbose: !!process.env.SYNC_DEBUG,
  });
  clients.push(c);
  return c;
}

/** Every value a subscription delivers, and a way to wait for one. */
function watch<T>(c: ConvexClient, ref: Q, args: Record<string, unknown>) {
  const values: T[] = [];
  const errors: Error[] = [];
  let waiters: Array<() => void> = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const unsubscribe = c.onUpdate(
    ref,
    args,
    (value: T) => {
      values.push(value);
      wake();
    },
    (error: Error) => {
      errors.push(error);
      wake();
    },
  );
  const until = async (ok: () => boolean, what: string) => {
    const deadline = Date.now() + 5000;
    while (!ok()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(values)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  };
  return {
    values,
    errors,
    unsubscribe,
    last: () => values[values.length - 1],
    until: (pred: (v: T) => boolean, what = "a value") =>
      until(() => values.length > 0 && pred(values[values.length - 1]), what),
    untilError: () => until(() => errors.length > 0, "an error"),
  };
}

async function eventually(ok: () => boolean | Promise<boolean>, what: string) {
  const deadline = Date.now() + 5000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Note = { _id: string; owner: string; n: number; tag?: string };

describe("subscriptions with the real ConvexClient", () => {
  test("a subscription gets updates after client mutations, direct writes and scheduled jobs", async () => {
    const c = client();
    const range = watch<Note[]>(c, api.app.range, { min: 0, max: 10, limit: 5 });
    await range.until((v) => v.length === 0, "the empty range");
    await c.mutation(api.app.add, { owner: "a", n: 3 });
    // When the mutation's promise resolves, its write is already in the client's results.
    expect(range.last().map((x) => x.n)).toEqual([3]);
    await engine.t.mutation(api.app.add, { owner: "b", n: 5 }); // as a REST request would
    await range.until((v) => v.length === 2, "the direct write");
    await engine.t.mutation(api.app.addLater, { owner: "c", n: 1 }); // a scheduled job writes
    await range.until((v) => v.map((x) => x.n).join() === "1,3,5", "the scheduled write");
  });

  test("a job scheduled by a component updates subscriptions reading that component", async () => {
    const c = client();
    const value = watch<number | null>(c, api.app.counterValue, { name: "c" });
    await value.until((v) => v === null);
    await c.mutation(api.app.bumpLater, { name: "c" });
    // The increment commits from inside the component's scheduled job: the re-run it causes
    // must run as the app's query, not inherit the job's context.
    await value.until((v) => v === 1, "the component's write");
    expect(value.errors).toEqual([]);
  });

  test("get, first, take and desc ranges follow patches, moves and deletes", async () => {
    const c = client();
    const id = (await c.mutation(api.app.add, { owner: "a", n: 2 })) as string;
    const one = watch<Note | null>(c, api.app.get, { id });
    const first = watch<Note | null>(c, api.app.firstOf, { owner: "a" });
    const top = watch<Note[]>(c, api.app.range, { min: 0, max: 100, limit: 2, desc: true });
    await one.until((v) => v?.n === 2);
    await first.until((v) => v?.n === 2);
    await c.mutation(api.app.add, { owner: "a", n: 1 });
    await first.until((v) => v?.n === 1, "a new first");
    await c.mutation(api.app.setN, { id, n: 50 });
    await one.until((v) => v?.n === 50, "the patch");
    await top.until((v) => v.map((x) => x.n).join() === "50,1", "the moved document");
    await c.mutation(api.app.remove, { id });
    await one.until((v) => v === null, "the delete");
    await top.until((v) => v.map((x) => x.n).join() === "1");
  });

  test("only touched subscriptions run again; unrelated writes send nothing", async () => {
    const c = client();
    const low = watch<Note[]>(c, api.app.range, { min: 0, max: 10, limit: 10 });
    await low.until((v) => v.length === 0);
    const before = server.stats().executions;
    await engine.t.mutation(api.app.add, { owner: "x", n: 500 }); // outside the range read
    await engine.t.mutation(api.app.record, { key: "k" }); // another table
    await new Promise((r) => setTimeout(r, 100));
    expect(server.stats().executions).toBe(before);
    expect(low.values).toHaveLength(1);
    await engine.t.mutation(api.app.add, { owner: "x", n: 5 });
    await low.until((v) => v.length === 1);
    expect(server.stats().executions).toBe(before + 1);
  });

  test("identical subscriptions of many clients share one execution", async () => {
    const watchers = Array.from({ length: 5 }, () =>
      watch<Note[]>(client(), api.app.range, { min: 0, max: 10, limit: 3 }),
    );
    for (const w of watchers) await w.until((v) => v.length === 0);
    const before = server.stats().executions;
    await engine.t.mutation(api.app.add, { owner: "x", n: 4 });
    for (const w of watchers) await w.until((v) => v.length === 1);
    expect(server.stats().executions).toBe(before + 1);
    expect(server.stats().queries).toBe(1);
  });

  test("a session's results are always of one snapshot, while writes keep landing", async () => {
    const c = client();
    const notes = watch<number>(c, api.app.countOf, { owner: "s" });
    const runs = watch<number>(c, api.app.runs, { key: "s" });
    await notes.until((v) => v === 0);
    await runs.until((v) => v === 0);
    const seen: Array<[unknown, unknown]> = [];
    c.client.addOnTransitionHandler(() => {
      seen.push([
        c.client.localQueryResult("app:countOf", { owner: "s" }),
        c.client.localQueryResult("app:runs", { key: "s" }),
      ]);
    });
    // Each transaction writes to both read sets; they are re-run while others commit.
    // Three writers, one transaction after the other each: commits land between re-runs.
    await Promise.all(
      [0, 1, 2].map(async () => {
        for (let k = 0; k < 10; k++) {
          await engine.t.run(async (ctx) => {
            await ctx.db.insert("notes", { owner: "s", n: 1 });
            await ctx.db.insert("runs", { key: "s" });
          });
          await new Promise((r) => setImmediate(r));
        }
      }),
    );
    await notes.until((v) => v === 30, "all writes");
    await runs.until((v) => v === 30, "all writes");
    expect(seen.length).toBeGreaterThan(0);
    for (const [a, b] of seen) expect(a).toBe(b);
  });

  test("reactive pages stay contiguous (the journal keeps each page's end)", async () => {
    const c = client();
    for (const n of [1, 2, 3, 4, 5, 6]) await c.mutation(api.app.add, { owner: "p", n });
    const opts = (cursor: string | null) => ({
      owner: "p",
      paginationOpts: { numItems: 2, cursor },
    });
    type Page = { page: Note[]; continueCursor: string; isDone: boolean };
    const first = watch<Page>(c, api.app.page, opts(null));
    await first.until((v) => v.page.length === 2);
    const second = watch<Page>(c, api.app.page, opts(first.last().continueCursor));
    await second.until((v) => v.page.length === 2);
    expect(second.last().page.map((x) => x.n)).toEqual([3, 4]);
    // A document inserted inside page 1's range grows page 1; page 2 is untouched.
    await c.mutation(api.app.add, { owner: "p", n: 1.5 });
    await first.until((v) => v.page.length === 3, "page 1 growing");
    expect(first.last().page.map((x) => x.n)).toEqual([1, 1.5, 2]);
    expect(second.last().page.map((x) => x.n)).toEqual([3, 4]);
    // Deleting page 1's last document keeps its end cursor (no gap before page 2).
    const two = first.last().page[2]._id;
    await c.mutation(api.app.remove, { id: two });
    await first.until((v) => v.page.length === 2, "page 1 shrinking");
    expect(first.last().continueCursor).toBe(first.values[0].continueCursor);
    expect(first.last().isDone).toBe(false);
  });
});

describe("errors and access", () => {
  test("a ConvexError reaches the client with its data, for queries and mutations", async () => {
    const c = client();
    const failing = watch<unknown>(c, api.app.failing, {});
    await failing.untilError();
    expect(failing.errors[0]).toBeInstanceOf(ConvexError);
    expect((failing.errors[0] as ConvexError<{ code: string }>).data.code).toBe("nope");
    const error = await c.mutation(api.app.refuse, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConvexError);
    expect((error as ConvexError<{ code: string }>).data).toEqual({ code: "refused" });
  });

  test("internal functions cannot be called, over the socket or HTTP", async () => {
    const c = client();
    const secret = watch<unknown>(c, api.app.secret, {});
    await secret.untilError();
    expect(secret.errors[0].message).toMatch(/Could not find public function for 'app:secret'/);
    await expect(c.mutation(api.app.insertNow, { owner: "z", n: 1 })).rejects.toThrow(
      /Could not find public function/,
    );
    const http = new ConvexHttpClient(server.url);
    await expect(http.query(api.app.secret, {})).rejects.toThrow(/Could not find public function/);
    await expect(http.query(api.app.add as unknown as Q, { owner: "z", n: 1 })).rejects.toThrow(
      /as Query/,
    );
  });

  test("the HTTP endpoints serve ConvexHttpClient (query, mutation, action, errors, auth)", async () => {
    const http = new ConvexHttpClient(server.url);
    const id = await http.mutation(api.app.add, { owner: "h", n: 7 });
    expect(await http.query(api.app.get, { id })).toMatchObject({ owner: "h", n: 7 });
    expect(await http.action(api.app.echo, { text: "hi" })).toBe("HI");
    const error = await http.mutation(api.app.refuse, {}).catch((e: unknown) => e);
    expect((error as ConvexError<{ code: string }>).data).toEqual({ code: "refused" });
    expect(await http.query(api.app.whoami, {})).toBeNull();
    http.setAuth(await issuer.token("user-9", { role: "analyst" }));
    expect(await http.query(api.app.whoami, {})).toEqual({
      subject: "user-9",
      tokenIdentifier: "https://issuer.test|user-9",
      role: "analyst",
    });
    http.setAuth("not-a-token");
    await expect(http.query(api.app.whoami, {})).rejects.toThrow(/not a JWT/);
  });
});

describe("auth", () => {
  test("a token is confirmed, queries re-run under it, and refreshed tokens switch identity", async () => {
    const c = client();
    const me = watch<{ subject: string; tokenIdentifier: string; role: string | null } | null>(
      c,
      api.app.whoami,
      {},
    );
    await me.until((v) => v === null);
    let fetches = 0;
    const changes: boolean[] = [];
    // 12 s tokens: the client refreshes them 10 s before expiry, so after ~2 s.
    c.setAuth(
      async () => issuer.token(`user-${++fetches}`, { role: "analyst" }, 12),
      (ok) => changes.push(ok),
    );
    await me.until((v) => v?.subject === "user-1", "the first identity");
    expect(me.last()).toEqual({
      subject: "user-1",
      tokenIdentifier: "https://issuer.test|user-1",
      role: "analyst",
    });
    await eventually(() => changes.includes(true), "auth confirmed");
    await me.until((v) => v?.subject === "user-2", "the refreshed identity");
  }, 15_000);

  test("a custom verifier's tokens that are not JWTs are served (the bench's verifier)", async () => {
    // Failed on the old code: the session read the expiry with decodeJwt, which threw and
    // closed the connection.
    const opaque = await startSyncServer(
      { engine, t: engine.t },
      {
        port: 0,
        modules,
        verifyToken: (token) =>
          token === "opaque-token"
            ? Promise.resolve({ issuer: "custom", subject: "s1", tokenIdentifier: "custom|s1" })
            : Promise.reject(new Error("unknown token")),
        log: () => undefined,
      },
    );
    try {
      const c = new ConvexClient(opaque.url, {
        webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
        unsavedChangesWarning: false,
        logger: false,
      });
      clients.push(c);
      const me = watch<{ subject: string } | null>(c, api.app.whoami, {});
      c.setAuth(() => Promise.resolve("opaque-token"));
      await me.until((v) => v?.subject === "s1", "the custom identity");
    } finally {
      for (const c of clients) await c.close();
      clients = [];
      await opaque.close();
    }
  });

  test("a rejected token is reported and the client falls back to no identity", async () => {
    const c = client();
    const other = await LocalIssuer.create("https://issuer.test", "app", null); // wrong key
    const changes: boolean[] = [];
    c.setAuth(
      async () => other.token("mallory"),
      (ok) => changes.push(ok),
    );
    await eventually(() => changes.includes(false), "auth refused");
    const me = watch<unknown>(c, api.app.whoami, {});
    await me.until((v) => v === null);
  });

  test("keys rotate: a token signed by a new key of the JWKS is accepted", async () => {
    const http = new ConvexHttpClient(server.url);
    http.setAuth(await issuer.token("before"));
    expect(await http.query(api.app.whoami, {})).toMatchObject({ subject: "before" });
    issuer = await LocalIssuer.create("https://issuer.test", "app", null); // the JWKS now serves it
    http.setAuth(await issuer.token("after"));
    expect(await http.query(api.app.whoami, {})).toMatchObject({ subject: "after" });
  });
});

describe("connections", () => {
  test("the client reconnects after the connection drops and keeps its subscriptions", async () => {
    const c = client();
    const range = watch<Note[]>(c, api.app.range, { min: 0, max: 10, limit: 5 });
    await range.until((v) => v.length === 0);
    server.dropConnections();
    await engine.t.mutation(api.app.add, { owner: "a", n: 1 });
    await range.until((v) => v.length === 1, "the write after the reconnect");
    await c.mutation(api.app.add, { owner: "a", n: 2 });
    expect(range.last()).toHaveLength(2);
  });

  test("the client survives the server restarting on the same port", async () => {
    const c = client();
    const range = watch<Note[]>(c, api.app.range, { min: 0, max: 10, limit: 5 });
    await range.until((v) => v.length === 0);
    const port = server.port;
    await server.close();
    await engine.t.mutation(api.app.add, { owner: "r", n: 1 }); // while nothing serves clients
    server = await startSyncServer(
      { engine, t: engine.t },
      { port, modules, log: () => undefined },
    );
    await range.until((v) => v.length === 1, "the write made while the server was down");
    await c.mutation(api.app.add, { owner: "r", n: 2 });
    expect(range.last()).toHaveLength(2);
  });

  test("a mutation whose response was lost runs once and resolves after the reconnect", async () => {
    const c = client();
    const stop = engine.onChanges((commit) => {
      if (commit.changes.some((ch) => ch.table === "runs")) {
        stop();
        server.dropConnections(); // the response never leaves
      }
    });
    const count = await c.mutation(api.app.record, { key: "once" });
    expect(count).toBe(1);
    expect(await engine.t.query(api.app.runs, { key: "once" })).toBe(1);
  });

  test("optimistic updates show at once and give way to the server's result", async () => {
    const c = client();
    const range = watch<Note[]>(c, api.app.range, { min: 0, max: 10, limit: 5 });
    await range.until((v) => v.length === 0);
    const args = { min: 0, max: 10, limit: 5 };
    const done = c.mutation(
      api.app.add,
      { owner: "o", n: 4 },
      {
        optimisticUpdate: (store) => {
          store.setQuery(api.app.range, args, [{ _id: "optimistic", owner: "o", n: 4 }] as never);
        },
      },
    );
    expect(range.last()[0]._id).toBe("optimistic");
    await done;
    expect(range.last()).toHaveLength(1);
    expect(range.last()[0]._id).not.toBe("optimistic");
  });
});

describe("the wire protocol", () => {
  /** A raw socket speaking the protocol, recording what the server sends. */
  async function raw() {
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/api/1.48.0/sync`);
    const got: Array<Record<string, unknown>> = [];
    ws.on("message", (data) =>
      got.push(JSON.parse((data as Buffer).toString()) as Record<string, unknown>),
    );
    await new Promise((r) => ws.once("open", r));
    const send = (m: unknown) => ws.send(JSON.stringify(m));
    send({
      type: "Connect",
      sessionId: "s-1",
      connectionCount: 0,
      lastCloseReason: null,
      clientTs: 0,
    });
    return { ws, got, send };
  }
  const transitions = (got: Array<Record<string, unknown>>) =>
    got.filter((m) => m.type === "Transition") as Array<{
      startVersion: { ts: string; querySet: number; identity: number };
      endVersion: { ts: string; querySet: number; identity: number };
      modifications: Array<{ type: string; queryId: number; value?: unknown }>;
    }>;

  test("transitions chain, Remove is answered by QueryRemoved, unchanged results are not re-sent, pings flow", async () => {
    const { ws, got, send } = await raw();
    send({
      type: "ModifyQuerySet",
      baseVersion: 0,
      newVersion: 1,
      modifications: [
        { type: "Add", queryId: 0, udfPath: "app:range", args: [{ min: 0, max: 10, limit: 5 }] },
        { type: "Add", queryId: 1, udfPath: "app.js:runs", args: [{ key: "r" }] },
      ],
    });
    await eventually(() => transitions(got).length === 1, "the first transition");
    await engine.t.mutation(api.app.add, { owner: "w", n: 1 });
    await eventually(() => transitions(got).length === 2, "the update");
    const [t1, t2] = transitions(got);
    expect(t1.startVersion).toEqual({ querySet: 0, identity: 0, ts: t1.startVersion.ts });
    expect(decodeTs(t1.startVersion.ts)).toBe(0n);
    expect(t1.modifications.map((m) => m.queryId).sort()).toEqual([0, 1]);
    expect(t2.startVersion).toEqual(t1.endVersion);
    expect(decodeTs(t2.endVersion.ts)).toBeGreaterThan(decodeTs(t1.endVersion.ts));
    expect(t2.modifications.map((m) => m.queryId)).toEqual([0]); // query 1 did not change
    send({
      type: "ModifyQuerySet",
      baseVersion: 1,
      newVersion: 2,
      modifications: [{ type: "Remove", queryId: 0 }],
    });
    await eventually(() => transitions(got).length === 3, "the removal");
    expect(transitions(got)[2].modifications).toEqual([{ type: "QueryRemoved", queryId: 0 }]);
    expect(transitions(got)[2].startVersion).toEqual(t2.endVersion);
    await eventually(() => got.some((m) => m.type === "Ping"), "a ping");
    ws.close();
  });

  test("a mutation response is followed by a transition covering it, even when nothing changed", async () => {
    const { ws, got, send } = await raw();
    send({ type: "ModifyQuerySet", baseVersion: 0, newVersion: 1, modifications: [] });
    await eventually(() => transitions(got).length === 1, "the first transition");
    send({ type: "Mutation", requestId: 0, udfPath: "app:record", args: [{ key: "m" }] });
    await eventually(() => transitions(got).length === 2, "a covering transition");
    const response = got.find((m) => m.type === "MutationResponse") as {
      ts: string;
      success: boolean;
    };
    expect(response.success).toBe(true);
    expect(got.indexOf(response)).toBeLessThan(got.indexOf(transitions(got)[1]));
    expect(decodeTs(transitions(got)[1].endVersion.ts)).toBeGreaterThanOrEqual(
      decodeTs(response.ts),
    );
    expect(transitions(got)[1].modifications).toEqual([]);
    // Re-sent (same session, same request id): the same answer, not a second run.
    send({ type: "Mutation", requestId: 0, udfPath: "app:record", args: [{ key: "m" }] });
    await eventually(
      () => got.filter((m) => m.type === "MutationResponse").length === 2,
      "2nd response",
    );
    expect(await engine.t.query(api.app.runs, { key: "m" })).toBe(1);
    ws.close();
  });

  test("an expired token ends the connection with an AuthError (the client then re-authenticates)", async () => {
    const { ws, got, send } = await raw();
    const closed = new Promise((r) => ws.once("close", r));
    send({
      type: "Authenticate",
      tokenType: "User",
      value: await issuer.token("u", {}, 2),
      baseVersion: 0,
    });
    send({ type: "ModifyQuerySet", baseVersion: 0, newVersion: 1, modifications: [] });
    await eventually(() => transitions(got).length === 2, "auth confirmed, then the query set");
    expect(transitions(got)[0].endVersion.identity).toBe(1);
    await closed;
    expect(got.find((m) => m.type === "AuthError")).toMatchObject({
      authUpdateAttempted: false,
      baseVersion: 1,
    });
  });

  test("the identity version rises on each accepted Authenticate only", async () => {
    const { ws, got, send } = await raw();
    send({ type: "Authenticate", tokenType: "User", value: "garbage", baseVersion: 0 });
    await eventually(() => got.some((m) => m.type === "AuthError"), "an auth error");
    send({
      type: "Authenticate",
      tokenType: "User",
      value: await issuer.token("u"),
      baseVersion: 0,
    });
    send({
      type: "ModifyQuerySet",
      baseVersion: 0,
      newVersion: 1,
      modifications: [{ type: "Add", queryId: 0, udfPath: "app:whoami", args: [{}] }],
    });
    await eventually(() => transitions(got).some((t) => t.endVersion.querySet === 1), "whoami");
    const ts = transitions(got);
    expect(ts[0].endVersion.identity).toBe(1);
    expect(ts[ts.length - 1].modifications[0].value).toMatchObject({ subject: "u" });
    send({ type: "Authenticate", tokenType: "None", baseVersion: 1 });
    await eventually(() => transitions(got).some((t) => t.endVersion.identity === 2), "logout");
    expect(transitions(got).at(-1)!.modifications).toEqual([
      expect.objectContaining({ queryId: 0, value: null }),
    ]);
    ws.close();
  });
});
