/**
 * A crash trial, shared by the system crash test and `npm run bench`: `npm start` on a data
 * directory under a stream of POSTs, a signal at a random moment, a restart on the same
 * directory, then a count of the payments that were answered 2xx and are gone, and of how long
 * the payments left pending wait for their decision after the restart.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { apiClient } from "../replay/driver";
import { pidAlive } from "./engine/persistence";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const API_KEY = "crash-key";

export type CrashSignal = "SIGKILL" | "SIGTERM" | "SIGINT";

export type CrashTrialResult = {
  signal: CrashSignal;
  /** How the signal was sent: to the server's process group, or to `npm` alone. */
  target: "group" | "npm";
  acknowledged: number;
  /** Answered 2xx before the signal, not found after the restart. */
  lost: number;
  /** Whether the data directory's lock was left behind (a clean stop releases it). */
  lockLeft: boolean;
  /** Scheduled functions (pool loops, scorings) the restart resumed. */
  resumedJobs: number;
  /** From the restart's spawn to the server listening (ms). */
  restartMs: number;
  /** Payments still pending when the restarted server was ready. */
  pendingAtRestart: number;
  /** From the restarted server's readiness to the last of those decided (ms; 0: none left). */
  restartToScoredMs: number;
};

/** The parts of API answers a trial reads. */
type ApiBody = {
  transaction: { id: string };
  user: { id: string };
  data: unknown[];
};

type Server = { child: ChildProcess; port: number; output: () => string };

/** Starts `npm start` (or the server directly) and resolves once it listens. */
async function startServer(dataDir: string, port: number, viaNpm: boolean): Promise<Server> {
  const args = ["--data", dataDir];
  const child = viaNpm
    ? spawn("npm", ["start", "--silent", "--", ...args], { cwd: ROOT, env: serverEnv(port) })
    : spawn(process.execPath, ["--import", "tsx", "scripts/local/start.ts", ...args], {
        cwd: ROOT,
        env: serverEnv(port),
        // Its own process group, so a signal can go to the whole group as a terminal sends it.
        detached: true,
      });
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (s: string) => (output += s));
  child.stderr?.setEncoding("utf8").on("data", (s: string) => (output += s));
  const deadline = Date.now() + 60_000;
  while (!output.includes("Fraud detection backend (local mode) at")) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, port, output: () => output };
}

function serverEnv(port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(port),
    API_KEYS: API_KEY,
    RATE_LIMIT_PER_MINUTE: "1000000",
    HF_TOKEN: "",
    // The dashboard's dev server is not what a crash trial measures.
    DASHBOARD_PORT: "0",
  };
}

/** The REST API of the server on `port`, through the replay driver's client. */
async function api(port: number, method: string, path: string, body?: unknown) {
  const client = apiClient(fetch, `http://127.0.0.1:${port}/api/v1`, API_KEY);
  const res = await client.request(method, path, body);
  return { status: res.status, body: res.body as ApiBody | null };
}

/** Posts payments from `concurrency` clients until `stop()`; returns the ids answered 2xx. */
function streamPayments(port: number, userId: string, concurrency: number) {
  const acked: string[] = [];
  let stopped = false;
  let sequence = 0;
  const worker = async () => {
    while (!stopped) {
      sequence += 1;
      try {
        const res = await api(port, "POST", "/transactions", {
          userId,
          amount: 10 + (sequence % 500),
          terminalId: `T${sequence % 7}`,
        });
        if (res.status >= 200 && res.status < 300) acked.push(res.body!.transaction.id);
      } catch {
        return; // the server is gone: nothing more is acknowledged
      }
    }
  };
  const done = Promise.all(Array.from({ length: concurrency }, worker));
  return {
    acked,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

function sendSignal(server: Server, signal: CrashSignal, target: "group" | "npm") {
  const pid = server.child.pid!;
  process.kill(target === "group" ? -pid : pid, signal);
}

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const timer = new Promise<false>((r) => setTimeout(() => r(false), ms));
  return await Promise.race([once(child, "exit").then(() => true), timer]);
}

/** The listening server's pid on `port` is gone (npm's child may outlive npm). */
async function portFree(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      await fetch(`http://127.0.0.1:${port}/api/v1/health`);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** The process holding the data directory's lock (if any) has exited. */
async function ownerGone(dataDir: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    let pid: number;
    try {
      pid = Number(readFileSync(join(dataDir, "engine.lock"), "utf8").trim());
    } catch {
      return true;
    }
    if (!pidAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * One trial: start, stream POSTs for `loadMs` (plus a random part of it), signal, restart,
 * count. `target: "npm"` starts through `npm start` and signals npm alone.
 */
export async function crashTrial(options: {
  dataDir: string;
  port: number;
  signal: CrashSignal;
  target?: "group" | "npm";
  concurrency?: number;
  loadMs?: number;
  random?: () => number;
}): Promise<CrashTrialResult> {
  const target = options.target ?? "group";
  const random = options.random ?? Math.random;
  const server = await startServer(options.dataDir, options.port, target === "npm");
  const user = await api(options.port, "POST", "/users", {
    name: "Crash Test",
    email: `crash-${Date.now()}-${Math.floor(random() * 1e9)}@example.com`,
  });
  if (user.status !== 201) throw new Error(`user: ${JSON.stringify(user.body)}`);
  const stream = streamPayments(options.port, user.body!.user.id, options.concurrency ?? 8);
  const loadMs = options.loadMs ?? 2_000;
  await new Promise((r) => setTimeout(r, loadMs / 2 + random() * loadMs));
  sendSignal(server, options.signal, target);
  if (!(await portFree(options.port, 30_000))) throw new Error("the server kept running");
  await waitForExit(server.child, 30_000);
  // Through npm, the server outlives the process that was signalled: wait for it to let go.
  if (!(await ownerGone(options.dataDir, 30_000))) throw new Error("the server did not stop");
  await stream.stop();
  const acked = [...stream.acked];
  const lockLeft = existsSync(join(options.dataDir, "engine.lock"));

  const spawnedAt = Date.now();
  const restarted = await startServer(options.dataDir, options.port, false);
  const readyAt = Date.now();
  const resumedJobs = Number(
    /resumed (\d+) scheduled functions/.exec(restarted.output())?.[1] ?? 0,
  );
  try {
    const pending = (await api(options.port, "GET", "/transactions?status=pending&limit=200")).body!
      .data.length;
    let restartToScoredMs = 0;
    for (;;) {
      const left = await api(options.port, "GET", "/transactions?status=pending&limit=1");
      if (left.body!.data.length === 0) break;
      restartToScoredMs = Date.now() - readyAt;
      if (restartToScoredMs > 60_000) throw new Error("pending payments were not scored");
      await new Promise((r) => setTimeout(r, 20));
    }
    let lost = 0;
    for (const id of acked) {
      const res = await api(options.port, "GET", `/transactions/${id}`);
      if (res.status === 404) lost += 1;
    }
    return {
      signal: options.signal,
      target,
      acknowledged: acked.length,
      lost,
      lockLeft,
      resumedJobs,
      restartMs: readyAt - spawnedAt,
      pendingAtRestart: pending,
      restartToScoredMs,
    };
  } finally {
    process.kill(-restarted.child.pid!, "SIGTERM");
    await waitForExit(restarted.child, 30_000);
  }
}
