import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
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

let server: ChildProcess;
let output = "";

beforeAll(async () => {
  server = spawn(process.execPath, ["--import", "tsx", "scripts/local/start.ts"], {
    cwd: root,
    env: { ...process.env, PORT: String(PORT), API_KEYS: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!output.includes("/api/v1")) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(output);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 90_000);

afterAll(async () => {
  if (server.exitCode !== null) return;
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
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

test("npm start prints the URL, the key and a curl example", () => {
  expect(output).toContain(`http://127.0.0.1:${PORT}/api/v1`);
  expect(output).toContain("API key: dev-key");
  expect(output).toContain("in memory");
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

test("the server stops cleanly on SIGTERM", async () => {
  server.kill("SIGTERM");
  const code = await new Promise((r) => server.once("exit", (c) => r(c)));
  expect(code).toBe(0);
  expect(output).toContain("SIGTERM: shutting down");
});
