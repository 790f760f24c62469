/**
 * `npm start`: runs the real `convex/` functions on an embedded Convex engine
 * (convex-test) and serves the HTTP router on http://127.0.0.1:$PORT. Scheduled
 * functions run on real timers. Configuration comes from the process environment,
 * exactly the variables a deployment reads with `npx convex env set`.
 */
import { convexTest } from "convex-test";
import schema from "../../convex/schema";
import { serveHttp } from "./httpBridge";
import { CONVEX_DIR, modulesIn, registerComponents } from "./modules";

const DEFAULT_API_KEY = "dev-key";

async function main() {
  process.env.API_KEYS ||= DEFAULT_API_KEY;
  const port = Number(process.env.PORT ?? 3211);
  const apiKey = process.env.API_KEYS.split(",")[0].trim();

  const t = convexTest(schema, modulesIn(CONVEX_DIR));
  await registerComponents(t);
  const server = await serveHttp(t, port);
  const url = `http://127.0.0.1:${port}`;

  console.log(`Fraud detection backend (local mode) at ${url}/api/v1`);
  console.log(`  engine: embedded Convex (convex-test); data lives in memory and is lost on exit`);
  console.log(
    `  API key: ${apiKey}${process.env.API_KEYS === DEFAULT_API_KEY ? " (default; set API_KEYS to change)" : ""}`,
  );
  console.log(`  rate limit: ${process.env.RATE_LIMIT_PER_MINUTE ?? 600} requests/minute per key`);
  console.log(`  try: curl -s -H "Authorization: Bearer ${apiKey}" ${url}/api/v1/transactions`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: shutting down`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
