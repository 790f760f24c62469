import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";

/**
 * The README's examples, run as printed against `npm start`: a new user copies them
 * into a terminal, so they must work exactly as written.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const PORT = 3211 + 17;

/** The first ```bash block after a heading. */
function bashBlockAfter(heading: string): string {
  const start = readme.indexOf(`${heading}\n`);
  if (start < 0) throw new Error(`README has no heading ${heading}`);
  const match = /```bash\n([\s\S]*?)```/.exec(readme.slice(start));
  if (!match) throw new Error(`no bash block after ${heading}`);
  return match[1];
}

const dataDir = mkdtempSync(join(tmpdir(), "fraud-local-"));

/** Starts `npm start`'s script on its own port and data directory; resolves once it listens. */
async function start(): Promise<{ server: ChildProcess; output: () => string }> {
  let output = "";
  const server = spawn(
    process.execPath,
    ["--import", "tsx", "scripts/local/start.ts", "--data", dataDir],
    {
      cwd: root,
      env: { ...process.env, PORT: String(PORT), API_KEYS: "" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  server.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  server.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  // The last line printed at start: everything above it is in the output by then.
  while (!output.includes("  try: curl")) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(output);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { server, output: () => output };
}

async function stop(server: ChildProcess): Promise<number | null> {
  if (server.exitCode !== null) return server.exitCode;
  const exited = new Promise<number | null>((r) => server.once("exit", (code) => r(code)));
  server.kill("SIGTERM");
  return await exited;
}

let server: ChildProcess;
let output: () => string;

beforeAll(async () => {
  ({ server, output } = await start());
}, 90_000);

afterAll(async () => {
  await stop(server);
});

/** Splits curl's output, where JSON answers follow each other without newlines. */
function jsonValues(text: string): any[] {
  const values: any[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "}" && --depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
  }
  return values;
}

test("npm start prints the URL, the key, where data lives and a curl example", () => {
  expect(output()).toContain(`http://127.0.0.1:${PORT}/api/v1`);
  expect(output()).toContain(`dashboard: http://127.0.0.1:${PORT + 1}/`);
  expect(output()).toContain("API key: dev-key");
  expect(output()).toContain(`data: ${dataDir} (0 documents; durable`);
  expect(output()).toContain("curl -s -H");
});

test("the README's examples work as printed", () => {
  const session = [
    bashBlockAfter("## Try it"),
    bashBlockAfter("### Payments"),
    bashBlockAfter("### Users"),
  ]
    .join("\n")
    .replaceAll("127.0.0.1:3211", `127.0.0.1:${PORT}`);
  const run = spawnSync("bash", ["-euo", "pipefail", "-c", session], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  const json = jsonValues(run.stdout);
  expect(json.some((r) => r.transaction?.status === "pending")).toBe(true);
  expect(json.some((r) => r.transaction?.label === "legitimate")).toBe(true);
  expect(json.some((r) => r.data?.length === 1 && r.nextCursor === null)).toBe(true);
  expect(json.some((r) => r.user?.email === "alan@example.com")).toBe(true);
  expect(json.filter((r) => r.error)).toEqual([]);
  expect(run.stdout.trim().endsWith("204")).toBe(true);
  expect(spawnSync("curl", ["--version"]).status).toBe(0);
});

test("the server stops cleanly on SIGTERM and its data is there after a restart", async () => {
  const api = async (method: string, path: string, body?: unknown) =>
    await fetch(`http://127.0.0.1:${PORT}/api/v1${path}`, {
      method,
      headers: { Authorization: "Bearer dev-key", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then((r) => r.json());
  const { user } = await api("POST", "/users", { name: "Kept", email: "kept@example.com" });
  const { transaction } = await api("POST", "/transactions", {
    userId: user.id,
    amount: 12.5,
    terminalId: "T-keep",
  });
  // Decided and explained (by the template: no network here) within a second, on real timers.
  await new Promise((r) => setTimeout(r, 1_000));
  const scored = (await api("GET", `/transactions/${transaction.id}`)).transaction;
  expect(scored.status).toBe("scored");
  expect(["allow", "review", "block"]).toContain(scored.fraud.decision);
  expect(scored.fraud.explanationSource).toBe("template");
  const before = await api("GET", "/transactions?limit=200");
  expect(before.data.length).toBeGreaterThan(0);
  expect(await stop(server)).toBe(0);
  expect(output()).toContain("SIGTERM: shutting down");

  ({ server, output } = await start());
  const after = await fetch(`http://127.0.0.1:${PORT}/api/v1/transactions?limit=200`, {
    headers: { Authorization: "Bearer dev-key" },
  }).then((r) => r.json());
  expect(after.data.map((p: { id: string }) => p.id)).toEqual(
    before.data.map((p: { id: string }) => p.id),
  );
  expect(after.data.every((p: { status: string }) => p.status === "scored")).toBe(true);
}, 90_000);
