/**
 * The dashboard in a real browser: `npm start`'s script on its own ports, Debian's Chromium
 * driven by `playwright-core`. Payments posted over REST appear on the open page and reach
 * their decision without a reload, a label set from the page is what `GET /transactions/{id}`
 * answers, and the page survives the server restarting (the Convex client reconnects).
 * Screenshots of each page go to `.screenshots/` (git-ignored).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";

const CHROMIUM = "/usr/bin/chromium";
const root = resolve(import.meta.dirname, "..");
const shots = join(root, ".screenshots");
const PORT = 3411;
const CLIENT_PORT = 3410;
const DASHBOARD_PORT = 3412;
const API_KEY = "browser-key";
const API = `http://127.0.0.1:${PORT}/api/v1`;
const dataDir = mkdtempSync(join(tmpdir(), "fraud-browser-"));

type Server = { process: ChildProcess; output: () => string };

/** Starts `npm start`'s script; resolves once it printed its last line. */
async function start(): Promise<Server> {
  let output = "";
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "scripts/local/start.ts", "--data", dataDir],
    {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(PORT),
        CLIENT_PORT: String(CLIENT_PORT),
        DASHBOARD_PORT: String(DASHBOARD_PORT),
        API_KEYS: API_KEY,
        AUTH_ISSUER: "",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 40_000;
  while (!output.includes("  try: curl")) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(output);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { process: child, output: () => output };
}

/** SIGTERM, as Ctrl-C would; resolves with the exit code (0: stopped cleanly, data flushed). */
async function stop(server: Server): Promise<number | null> {
  if (server.process.exitCode !== null) return server.process.exitCode;
  const exited = new Promise<number | null>((r) => server.process.once("exit", r));
  server.process.kill("SIGTERM");
  return await exited;
}

async function rest(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${API}${path}`, {
    method,
    headers: { Authorization: `Bearer ${API_KEY}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return await response.json();
}

async function postPayment(userId: string, amount: number): Promise<string> {
  const { transaction } = await rest("POST", "/transactions", {
    userId,
    amount,
    terminalId: "T-BROWSER",
  });
  return transaction.id as string;
}

/** The decision badge of a payment's row in the feed. */
const badge = (page: Page, id: string) =>
  page.locator(`tr[data-payment="${id}"] [data-testid=decision]`);

async function expectDecided(page: Page, id: string): Promise<void> {
  await badge(page, id).waitFor({ timeout: 15_000 });
  await page.waitForFunction(
    (sel) => /^(allow|review|block)$/.test(document.querySelector(sel)?.textContent ?? ""),
    `tr[data-payment="${id}"] [data-testid=decision]`,
    { timeout: 15_000 },
  );
}

let server: Server;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The browser test needs Chromium at ${CHROMIUM}: install it with ` +
        "`apt-get install -y chromium` (Debian/Ubuntu), then run `npx vitest run --project browser`.",
    );
  }
  mkdirSync(shots, { recursive: true });
  server = await start();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}, 50_000);

afterAll(async () => {
  await browser?.close();
  if (server) await stop(server);
  rmSync(dataDir, { recursive: true, force: true });
});

test("payments arrive live, are labelled from the page, and the page survives a restart", async () => {
  expect(server.output()).toContain(`dashboard: http://127.0.0.1:${DASHBOARD_PORT}/`);
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${DASHBOARD_PORT}/#/`);
  await page.getByTestId("connection").filter({ hasText: "live" }).waitFor({ timeout: 20_000 });
  await page.getByRole("heading", { name: "Live feed" }).waitFor();

  // Posted after the page opened: they show up, then turn from pending to their decision.
  const { user } = await rest("POST", "/users", { name: "Browser", email: "browser@example.com" });
  // A rule sends large payments to review, so that one lands in the queue.
  await rest("POST", "/rules", {
    name: "browser_large",
    action: "review",
    expression: "payment.amount > 900",
  });
  const ids = [await postPayment(user.id, 25), await postPayment(user.id, 480)];
  const toReview = await postPayment(user.id, 950);
  for (const id of [...ids, toReview]) await expectDecided(page, id);
  expect(await badge(page, toReview).textContent()).toBe("review");
  await page.screenshot({ path: join(shots, "feed.png"), fullPage: true });

  // The filters narrow the live list.
  await page.selectOption("select[name=decision]", "review");
  await expect.poll(() => page.locator("tr[data-payment]").count()).toBe(1);
  await badge(page, toReview).waitFor();
  await page.selectOption("select[name=decision]", "");
  await page.selectOption("select[name=status]", "pending");
  await expect.poll(() => page.locator("tr[data-payment]").count()).toBe(0);
  await page.selectOption("select[name=status]", "");
  await badge(page, ids[0]).waitFor();

  // A payment's page, and labelling it from there.
  await page.click(`a[href="#/payment/${ids[0]}"]`);
  await page.getByTestId("score").waitFor();
  await page.getByRole("button", { name: "Mark fraud" }).click();
  await page.getByTestId("label").filter({ hasText: "fraud" }).waitFor();
  const { transaction } = await rest("GET", `/transactions/${ids[0]}`);
  expect(transaction.label).toBe("fraud");
  await page.screenshot({ path: join(shots, "payment.png"), fullPage: true });
  await page.click(`dd a[href="#/customer/${user.id}"]`);
  await page.locator(`tr[data-payment="${toReview}"]`).waitFor();
  await page.screenshot({ path: join(shots, "customer.png"), fullPage: true });

  await page.click('a[href="#/queue"]');
  await page.getByRole("heading", { name: "Review queue" }).waitFor();
  const row = page.locator("tr[data-review]").filter({ hasText: toReview });
  await row.getByRole("button", { name: "Assign to me" }).click();
  await row.locator("td").nth(4).filter({ hasText: /^me$/ }).waitFor();
  await page.screenshot({ path: join(shots, "queue.png"), fullPage: true });
  await row.getByRole("button", { name: "Decline" }).click();
  await row.waitFor({ state: "detached" });
  const declined = (await rest("GET", `/transactions/${toReview}`)).transaction;
  expect(declined).toMatchObject({ finalDecision: "block", label: "fraud" });

  await page.click('a[href="#/charts"]');
  await page.locator(".chart svg").first().waitFor();
  await page.screenshot({ path: join(shots, "charts.png"), fullPage: true });

  // The server restarts under the open page: the client reconnects, with no reload.
  await page.click('a[href="#/"]');
  await page.evaluate(() => Object.assign(window, { beforeRestart: true }));
  expect(await stop(server)).toBe(0);
  await page.getByTestId("connection").filter({ hasText: "reconnecting" }).waitFor();
  server = await start();
  await page.getByTestId("connection").filter({ hasText: "live" }).waitFor({ timeout: 20_000 });
  const afterRestart = await postPayment(user.id, 60);
  await expectDecided(page, afterRestart);
  expect(
    await page.evaluate(() => (window as unknown as { beforeRestart?: boolean }).beforeRestart),
  ).toBe(true);
  expect(errors).toEqual([]);
}, 55_000);
