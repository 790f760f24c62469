/**
 * `npm start [-- --data DIR] [-- --fresh] [-- --in-memory]`: runs the real `convex/`
 * functions on the embedded engine and serves the HTTP router on
 * http://127.0.0.1:$PORT (default 3211). Scheduled functions run on real timers, crons on
 * their intervals. Data is durable in DIR (default `.local/`). Configuration comes from the
 * process environment: the same variables a deployment reads (`npx convex env set`).
 */
import { parseArgs } from "../ml/args";
import type { Server } from "node:http";
import { startLocalBackend, type LocalBackend } from "./backend";
import { DEFAULT_DATA_DIR } from "./engine";
import { dashboardPort, startDashboard } from "./dashboard";
import { serveHttp } from "./httpBridge";
import { startClientApi } from "./sync";

const DEFAULT_API_KEY = "dev-key";

async function main() {
  const args = parseArgs(process.argv.slice(2), {
    data: DEFAULT_DATA_DIR,
    fresh: "false",
    "in-memory": "false",
  });
  process.env.API_KEYS ||= DEFAULT_API_KEY;
  const port = Number(process.env.PORT ?? 3211);
  const apiKey = process.env.API_KEYS.split(",")[0].trim();
  const inMemory = args.str("in-memory") === "true";
  const dataDir = inMemory ? null : args.str("data");

  const backend = await startLocalBackend({ dataDir, fresh: args.str("fresh") === "true" });
  const server = await serveHttp(backend.t, port, { flush: () => backend.flush() });
  const url = `http://127.0.0.1:${port}`;
  const clientApi = await startClientApi(backend, { httpServer: server, httpUrl: url, dataDir });
  const dashboardAt = dashboardPort(process.env, port);
  const dashboard =
    dashboardAt === null
      ? null
      : await startDashboard({
          port: dashboardAt,
          clientUrl: clientApi.url,
          devTokenBase: clientApi.auth.issuer ? url : null,
        });
  // The app's own documents (the components' bookkeeping is not data a user stored).
  const stored = backend.engine.stats().components[""]?.documents ?? 0;

  console.log(`Fraud detection backend (local mode) at ${url}/api/v1`);
  console.log(
    dataDir === null
      ? "  data: in memory only, lost on exit"
      : `  data: ${dataDir} (${stored} documents; durable, --fresh starts empty, --in-memory keeps nothing)`,
  );
  console.log(
    `  API key: ${apiKey}${process.env.API_KEYS === DEFAULT_API_KEY ? " (default; set API_KEYS to change)" : ""}`,
  );
  console.log(`  rate limit: ${process.env.RATE_LIMIT_PER_MINUTE ?? 600} requests/minute per key`);
  console.log(
    `  explanations: ${process.env.HF_TOKEN ? "Hugging Face LLM" : "template (set HF_TOKEN for the LLM)"}`,
  );
  console.log(`  client API (ConvexClient, ConvexReactClient): ${clientApi.url}`);
  if (dashboard) console.log(`  dashboard: ${dashboard.url}`);
  if (clientApi.auth.issuer) console.log(`  dev token: curl -s '${url}/dev/token?role=analyst'`);
  console.log(`  try: curl -s -H "Authorization: Bearer ${apiKey}" ${url}/api/v1/transactions`);

  stopOnSignals(server, backend, () => Promise.all([clientApi.close(), dashboard?.close()]));
}

/** How long a stop waits for requests in flight before it closes their connections. */
const DRAIN_MS = 5_000;

/**
 * SIGTERM, SIGINT (Ctrl-C), and the death of the parent (`npm start` killed on its own leaves
 * this process orphaned) stop the server the same way: no new connections, the requests in
 * flight answered (each after its commits are on disk), running jobs finished, the data
 * flushed and the directory's lock released. Whatever is still pending resumes at the next
 * start. Run as `node --import tsx` (not the `tsx` CLI, which SIGKILLs a child that does not
 * exit within ~60 ms of a relayed signal).
 */
function stopOnSignals(
  server: Server,
  backend: LocalBackend,
  closeClientApi: () => Promise<unknown>,
) {
  let stopping: Promise<void> | null = null;
  // A second signal (or the parent check firing again) waits for the same stop.
  const stop = (reason: string) => (stopping ??= stopNow(reason));
  const stopNow = async (reason: string) => {
    console.log(`\n${reason}: shutting down`);
    // Until the data is closed: a closed server and unref'd timers would otherwise let the
    // event loop run dry and end the process halfway through (with the directory locked).
    setInterval(() => undefined, 1_000);
    // Client sockets are cut at once: clients reconnect to the next run.
    await Promise.race([closeClientApi(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const drained = await Promise.race([
      closed.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), DRAIN_MS)),
    ]);
    if (!drained) server.closeAllConnections();
    await backend.close();
  };
  const exitAfter = (reason: string) => {
    stop(reason).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => exitAfter("SIGINT"));
  process.on("SIGTERM", () => exitAfter("SIGTERM"));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) exitAfter("parent process gone");
  }, 250).unref();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
