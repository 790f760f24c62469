import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WriteStats } from "../local/engine";
import { startLocalBackend, type LocalBackend } from "../local/backend";
import { serveHttp } from "../local/httpBridge";
import type { TransactionTable } from "../ml/csv";
import { apiClient, replay, type ApiClient } from "../replay/driver";
import { replayEvents } from "../replay/events";
import { collectOutcomes, latencySummary, waitForDecisions } from "../replay/results";

/**
 * Local mode as a client meets it: `npm start`'s backend and HTTP server (responses after
 * their commits are on disk, or in memory for comparison), reached over real HTTP.
 */

const API_KEY = "bench-key";
const log = (m: string) => console.error(`[bench] ${m}`);

type Served = { backend: LocalBackend; client: ApiClient; close(): Promise<void> };

async function serve(options: { durable: boolean; countWrites?: boolean }): Promise<Served> {
  process.env.API_KEYS = API_KEY;
  process.env.RATE_LIMIT_PER_MINUTE = String(1e9);
  const dataDir = options.durable ? mkdtempSync(join(tmpdir(), "fraud-bench-")) : null;
  const backend = await startLocalBackend({
    dataDir,
    fresh: true,
    crons: false,
    countWrites: options.countWrites ?? false,
    log,
  });
  const server = await serveHttp(backend.t, 0, { flush: () => backend.flush() });
  const port = (server.address() as AddressInfo).port;
  const client = apiClient(fetch, `http://127.0.0.1:${port}/api/v1`, API_KEY);
  return {
    backend,
    client,
    async close() {
      server.closeAllConnections();
      server.close();
      await backend.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function hottest(stats: WriteStats) {
  const hot = stats.hottestForRequests;
  return hot === null
    ? null
    : {
        document: `${hot.component || "app"}:${hot.table}`,
        writers: hot.writers,
        requests: stats.requests,
        share: Math.round(hot.share * 1000) / 1000,
      };
}

/** Payments of the dataset posted at `concurrency`: throughput, POST→decision, hottest document. */
export async function benchIngest(
  table: TransactionTable,
  concurrency: number,
  payments: number,
  durable: boolean,
) {
  const served = await serve({ durable, countWrites: true });
  const start = table.length - payments - 1;
  const rows = Array.from({ length: payments }, (_, k) => start + k).filter(
    (r) => table.amount[r] > 0,
  );
  const events = replayEvents(table, rows, { minDays: 1, maxDays: 7 }, 0);
  const t0 = performance.now();
  const { paymentIds } = await replay(served.client, table, events, {
    concurrency,
    runId: `ingest${concurrency}${durable ? "d" : "m"}`,
  });
  const postSeconds = (performance.now() - t0) / 1000;
  const pending = await waitForDecisions(served.client, 120_000);
  const outcomes = await collectOutcomes(served.client, new Set(paymentIds.values()));
  const latencies = [...outcomes.values()]
    .map((o) => o.latencyMs)
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);
  const writes = hottest(served.backend.engine.writeStats());
  const fsyncs = served.backend.engine.stats().persistence;
  await served.close();
  return {
    concurrency,
    durable,
    payments: rows.length,
    pending,
    throughputPerSecond: Math.round((rows.length / postSeconds) * 10) / 10,
    decisionLatencyMs: latencySummary(latencies),
    hottestDocument: writes,
    persistence: fsyncs,
  };
}

/** Many requests for one terminal at once (100 customers, c=64): the hottest document's share. */
export async function benchHotTerminal(payments: number) {
  const served = await serve({ durable: false, countWrites: true });
  const users: string[] = [];
  for (let i = 0; i < 100; i++) {
    const res = await served.client.request("POST", "/users", {
      name: `Hot ${i}`,
      email: `hot${i}@bench.example`,
    });
    users.push((res.body as { user: { id: string } }).user.id);
  }
  served.backend.engine.resetWriteStats();
  let next = 0;
  const base = Date.UTC(2018, 8, 1, 12);
  const worker = async () => {
    while (next < payments) {
      const i = next++;
      await served.client.request("POST", "/transactions", {
        userId: users[i % users.length],
        terminalId: "T-HOT",
        amount: 10 + (i % 90),
        timestamp: base + i * 100,
      });
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  await waitForDecisions(served.client, 120_000);
  const writes = hottest(served.backend.engine.writeStats());
  await served.close();
  return { payments, concurrency: 64, hottestDocument: writes };
}

/**
 * Another customer's POST → decision while one customer posts `busyPayments` in `busySeconds`,
 * against the same customer alone.
 */
export async function benchBusyCustomer(busyPayments: number, busySeconds: number) {
  const served = await serve({ durable: true });
  const mk = async (name: string) =>
    (
      (
        await served.client.request("POST", "/users", {
          name,
          email: `${name}@bench.example`,
        })
      ).body as { user: { id: string } }
    ).user.id;
  const busy = await mk("busy");
  const other = await mk("other");
  const base = Date.UTC(2018, 8, 1, 12);
  let seq = 0;
  const probe = async (count: number, gapMs: number) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const res = await served.client.request("POST", "/transactions", {
        userId: other,
        terminalId: `T-O${i % 5}`,
        amount: 25,
        timestamp: base + seq++ * 1000,
      });
      ids.push((res.body as { transaction: { id: string } }).transaction.id);
      await new Promise((r) => setTimeout(r, gapMs));
    }
    await waitForDecisions(served.client, 60_000);
    const outcomes = await collectOutcomes(served.client, new Set(ids));
    return latencySummary(
      [...outcomes.values()].map((o) => o.latencyMs ?? NaN).sort((a, b) => a - b),
    );
  };
  const alone = await probe(40, 250);
  const postBusy = async () => {
    const gap = (busySeconds * 1000) / busyPayments;
    const t0 = performance.now();
    const sent: Promise<unknown>[] = [];
    for (let i = 0; i < busyPayments; i++) {
      const due = t0 + i * gap;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sent.push(
        served.client.request("POST", "/transactions", {
          userId: busy,
          terminalId: "T-BUSY",
          amount: 5 + (i % 40),
          timestamp: base + 10_000_000 + i * 1000,
        }),
      );
    }
    await Promise.all(sent);
  };
  const [, during] = await Promise.all([postBusy(), probe(40, 250)]);
  await waitForDecisions(served.client, 120_000);
  await served.close();
  return {
    busy: { payments: busyPayments, seconds: busySeconds },
    aloneMs: alone,
    whileBusyMs: during,
    p50Ratio: Math.round((during.p50 / alone.p50) * 100) / 100,
  };
}

/** `POST /transactions` with `Prefer: wait=5`, one at a time, over HTTP to a durable server. */
export async function benchInline(payments: number) {
  const served = await serve({ durable: true });
  const user = (
    (
      await served.client.request("POST", "/users", {
        name: "Inline",
        email: "inline@bench.example",
      })
    ).body as { user: { id: string } }
  ).user.id;
  const base = Date.UTC(2018, 8, 1, 12);
  const times: number[] = [];
  let decided = 0;
  for (let i = 0; i < payments + 20; i++) {
    const t0 = performance.now();
    const res = await served.client.request(
      "POST",
      "/transactions",
      {
        userId: user,
        terminalId: `T-I${i % 9}`,
        amount: 10 + (i % 70),
        timestamp: base + i * 60_000,
      },
      { Prefer: "wait=5" },
    );
    const ms = performance.now() - t0;
    // The first requests warm the process up (module loading, JIT); they are not counted.
    if (i < 20) continue;
    times.push(ms);
    if (res.status === 201) decided += 1;
  }
  await served.close();
  const sorted = times.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  const summary = latencySummary(sorted);
  return {
    payments,
    decidedInline: decided,
    roundTripMs: { p50: round(summary.p50), p99: round(summary.p99), max: round(summary.max) },
  };
}
