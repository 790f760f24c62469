/**
 * `npm start [-- --data DIR] [-- --fresh] [-- --in-memory]`: runs the real `convex/`
 * functions on the embedded engine and serves the HTTP router on
 * http://127.0.0.1:$PORT (default 3211). Scheduled functions run on real timers, crons on
 * their intervals. Data is durable in DIR (default `.local/`). Configuration comes from the
 * process environment: the same variables a deployment reads (`npx convex env set`).
 */
import { parseArgs } from "../ml/args";
import { startLocalBackend } from "./backend";
import { DEFAULT_DATA_DIR } from "./engine";
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
  const server = await serveHttp(backend.t, port);
  const url = `http://127.0.0.1:${port}`;
  const clientApi = await startClientApi(backend, { httpServer: server, httpUrl: url, dataDir });
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
  if (clientApi.auth.issuer) console.log(`  dev token: curl -s '${url}/dev/token?role=analyst'`);
  console.log(`  try: curl -s -H "Authorization: Bearer ${apiKey}" ${url}/api/v1/transactions`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: shutting down`);
    server.close();
    server.closeAllConnections();
    void clientApi.close(); // cuts the client sockets at once; clients reconnect to the next run
    backend.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
