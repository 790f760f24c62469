/**
 * The client API's figures (the "sync" section of `npm run bench`), with the real `ConvexClient`
 * over WebSockets on this machine:
 *
 * 1. Commit -> client callback latency, p50 / p95, with 1,000 subscriptions (each on its own
 *    document) on one client, and spread over 100 clients: the time from a commit that changes
 *    one subscribed document to the callback of that subscription.
 * 2. Fan-out: 100 clients subscribed to the same list; the time until the last of them has a
 *    newly inserted document.
 * 3. Ingest throughput of the app through the REST API (payments per second, POST to decision,
 *    8 at a time) with no live subscription and with 100 (`transactions.listForUser` pages of
 *    the 10 customers being paid, as analysts, on 10 clients in a child process so that only
 *    the server's work shares this thread), in two fresh in-memory backends.
 *
 * 1 and 2 run on the sync tests' small app (they measure the sync layer: invalidation, re-run,
 * transition, client); 3 runs the app itself.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ConvexClient } from "convex/browser";
import { anyApi } from "convex/server";
import WebSocket from "ws";
import type { Id } from "../../convex/_generated/dataModel";
import { startLocalBackend } from "../local/backend";
import { createLocalEngine } from "../local/engine";
import { schema } from "../local/sync/fixtures/app";
import { modules } from "../local/sync/fixtures/modules";
import { startSyncServer, type SyncServer } from "../local/sync/server";

type Summary = { p50: number; p95: number; max: number; n: number };

export interface SyncBenchFigures {
  latency1000OnOneClientMs: Summary;
  latency1000On100ClientsMs: Summary;
  fanout100ClientsMs: Summary;
  ingest: {
    payments: number;
    rounds: number;
    /** Every round's figure (payments per second). */
    runs: { without: number[]; with100: number[] };
    withoutSubscriptionsPerSecond: number;
    with100SubscriptionsPerSecond: number;
    /** with / without - 1 (negative: slower with subscriptions). */
    relativeChange: number;
  };
}

const anyRefs = anyApi;
const CLIENTS_SCRIPT = fileURLToPath(new URL("./syncClients.ts", import.meta.url));

function summary(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const round = (x: number) => Math.round(x * 100) / 100;
  return { p50: round(at(0.5)), p95: round(at(0.95)), max: round(at(1)), n: sorted.length };
}

function newClient(url: string): ConvexClient {
  return new ConvexClient(url, {
    webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
    unsavedChangesWarning: false,
    logger: false,
  });
}

async function until(ok: () => boolean, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`bench sync: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function fixtureServer() {
  const engine = createLocalEngine(schema, modules, { dataDir: null, log: () => undefined });
  const server = await startSyncServer(
    { engine, t: engine.t },
    { port: 0, modules, log: () => {} },
  );
  return { engine, server };
}

/** Commit -> callback latency with 1,000 `get` subscriptions over `clientCount` clients. */
async function latency(clientCount: number, samples: number): Promise<Summary> {
  const { engine, server } = await fixtureServer();
  const clients = Array.from({ length: clientCount }, () => newClient(server.url));
  try {
    const ids = await engine.t.run<string[]>(async (ctx) => {
      const out: string[] = [];
      for (let k = 0; k < 1000; k++) out.push(await ctx.db.insert("notes", { owner: "l", n: 0 }));
      return out;
    });
    const seen = new Map<string, { n: number; at: number }>();
    ids.forEach((id, k) => {
      clients[k % clientCount].onUpdate(anyRefs.app.get, { id }, (doc: { n: number } | null) => {
        if (doc) seen.set(id, { n: doc.n, at: performance.now() });
      });
    });
    await until(() => seen.size === ids.length, "1,000 initial results");
    let committedAt = 0;
    const stop = engine.onChanges(() => {
      committedAt = performance.now();
    });
    const out: number[] = [];
    for (let k = 1; k <= samples; k++) {
      const id = ids[(k * 7919) % ids.length];
      await engine.t.mutation(anyRefs.app.setN, { id, n: k });
      await until(() => seen.get(id)?.n === k, "an update");
      out.push(seen.get(id)!.at - committedAt);
    }
    stop();
    return summary(out);
  } finally {
    for (const c of clients) await c.close();
    await server.close();
    await engine.close();
  }
}

/** 100 clients on the same list: the time until all of them have a new document. */
async function fanout(samples: number): Promise<Summary> {
  const { engine, server } = await fixtureServer();
  const clients = Array.from({ length: 100 }, () => newClient(server.url));
  try {
    const counts = new Array<number>(clients.length).fill(-1);
    const at = new Array<number>(clients.length).fill(0);
    clients.forEach((c, k) =>
      c.onUpdate(
        anyRefs.app.range,
        { min: 0, max: 1e9, limit: 20, desc: true },
        (list: unknown[]) => {
          counts[k] = list.length;
          at[k] = performance.now();
        },
      ),
    );
    await until(() => counts.every((c) => c === 0), "100 initial lists");
    const out: number[] = [];
    for (let k = 1; k <= samples; k++) {
      const t0 = performance.now();
      await engine.t.mutation(anyRefs.app.add, {
        owner: "f",
        n: k,
      });
      const expected = Math.min(k, 20);
      await until(() => counts.every((c) => c === expected), "100 clients");
      out.push(Math.max(...at) - t0);
    }
    return summary(out);
  } finally {
    for (const c of clients) await c.close();
    await server.close();
    await engine.close();
  }
}

/** Payments per second through the REST API, POST to decision, with `subscriptions` live ones. */
async function ingest(payments: number, subscriptions: number): Promise<number> {
  process.env.API_KEYS ||= "bench-key";
  process.env.RATE_LIMIT_PER_MINUTE = String(1e9);
  const apiKey = process.env.API_KEYS.split(",")[0].trim();
  const backend = await startLocalBackend({ dataDir: null, crons: false, log: () => undefined });
  let server: SyncServer | null = null;
  let child: ChildProcess | null = null;
  try {
    const users = await backend.t.run(async (ctx) => {
      const out: Id<"users">[] = [];
      for (let u = 0; u < 10; u++) {
        out.push(
          await ctx.db.insert("users", {
            name: `S${u}`,
            email: `s${u}@bench.example`,
            createdAt: 0,
          }),
        );
      }
      return out;
    });
    if (subscriptions > 0) {
      server = await startSyncServer(backend, {
        port: 0,
        rerunBudget: process.env.SYNC_RERUN_BUDGET
          ? Number(process.env.SYNC_RERUN_BUDGET)
          : undefined,
        log: () => {},
        verifyToken: (token) =>
          Promise.resolve({
            issuer: "bench",
            subject: token,
            tokenIdentifier: `bench|${token}`,
            role: "analyst",
          }),
      });
      // The clients run in another process: what is measured is the server's cost.
      child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          CLIENTS_SCRIPT,
          server.url,
          "10",
          String(subscriptions),
          users.join(","),
        ],
        { stdio: ["pipe", "pipe", "inherit"] },
      );
      let out = "";
      child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
      await until(() => out.includes("ready"), "the initial pages", 120_000);
    }
    const decided = new Set<unknown>();
    const stopWatching = backend.engine.onChanges((commit) => {
      if (commit.component !== "") return;
      for (const change of commit.changes) {
        const doc = change.new;
        if (doc === null) continue;
        if (
          (change.table === "transactions" && change.old === null) ||
          (change.table === "tempTransactions" && doc.status === "failed")
        ) {
          decided.add(doc.paymentId);
        }
      }
    });
    const t0 = performance.now();
    let next = 0;
    const post = async () => {
      while (next < payments) {
        const k = next++;
        const response = await backend.t.fetch("/api/v1/transactions", {
          method: "POST",
          headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
          body: JSON.stringify({
            userId: users[k % users.length],
            amount: 10 + (k % 200),
            terminalId: `T-${k % 50}`,
          }),
        });
        if (response.status !== 202) throw new Error(`POST: ${response.status}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, post));
    // Decided: scored (moved to `transactions`) or failed, as the commits say.
    await until(() => decided.size >= payments, "every decision", 300_000);
    stopWatching();
    if (server !== null && process.env.BENCH_SYNC_DEBUG) {
      console.error(JSON.stringify(server.stats()));
    }
    return Math.round((payments / ((performance.now() - t0) / 1000)) * 10) / 10;
  } finally {
    child?.stdin!.end();
    await server?.close();
    await backend.close();
  }
}

/** Runs the sync section; `log` reports progress. */
export async function benchSync(
  options: { samples?: number; payments?: number; rounds?: number; log?: (m: string) => void } = {},
): Promise<SyncBenchFigures> {
  const log = options.log ?? (() => undefined);
  const samples = options.samples ?? 200;
  const payments = options.payments ?? Number(process.env.BENCH_SYNC_PAYMENTS ?? 1000);
  const rounds = options.rounds ?? Number(process.env.BENCH_SYNC_ROUNDS ?? 3);
  const ingestFigures = async () => {
    // Alternated rounds, medians: on a shared machine one pair of runs differs by more than
    // the effect measured.
    const without: number[] = [];
    const withSubs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      log(`sync: ingest round ${r + 1}/${rounds}`);
      without.push(await ingest(payments, 0));
      withSubs.push(await ingest(payments, 100));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return {
      payments,
      rounds,
      withoutSubscriptionsPerSecond: median(without),
      with100SubscriptionsPerSecond: median(withSubs),
      relativeChange: Math.round((median(withSubs) / median(without) - 1) * 1000) / 1000,
      runs: { without, with100: withSubs },
    };
  };
  if (process.env.BENCH_SYNC_ONLY === "ingest") {
    const empty = summary([0]);
    return {
      latency1000OnOneClientMs: empty,
      latency1000On100ClientsMs: empty,
      fanout100ClientsMs: empty,
      ingest: await ingestFigures(),
    };
  }
  log("sync: latency, 1,000 subscriptions on one client");
  const latency1000OnOneClientMs = await latency(1, samples);
  log("sync: latency, 1,000 subscriptions on 100 clients");
  const latency1000On100ClientsMs = await latency(100, samples);
  log("sync: fan-out to 100 clients");
  const fanout100ClientsMs = await fanout(Math.min(samples, 50));
  return {
    latency1000OnOneClientMs,
    latency1000On100ClientsMs,
    fanout100ClientsMs,
    ingest: await ingestFigures(),
  };
}

if (process.argv[1]?.endsWith("bench/sync.ts")) {
  benchSync({ log: (m) => console.error(`[bench] ${m}`) }).then(
    (figures) => {
      console.log(JSON.stringify(figures, null, 2));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
