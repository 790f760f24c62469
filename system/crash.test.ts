import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { crashTrial, type CrashSignal } from "../scripts/local/crashTrial";

/**
 * `npm start` under load, stopped by kill -9 and SIGTERM to its process group
 * and by SIGTERM to `npm` alone (Ctrl-C, SIGINT, takes the SIGTERM path; the bench runs it), then restarted on the same data directory: every payment
 * answered 2xx is still there, a clean stop releases the directory, and what was left pending
 * is decided after the restart. (The bench repeats each signal five times.)
 */
const dataDir = mkdtempSync(join(tmpdir(), "fraud-crash-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

let seed = 20261202;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

const trials: { signal: CrashSignal; target: "group" | "npm" }[] = [
  { signal: "SIGKILL", target: "group" },
  { signal: "SIGTERM", target: "group" },
  { signal: "SIGTERM", target: "npm" },
];

test.each(trials)(
  "$signal to $target: no acknowledged payment lost, pending ones decided after the restart",
  async ({ signal, target }) => {
    const result = await crashTrial({
      dataDir,
      port: 34_000 + Math.floor(random() * 1000),
      signal,
      target,
      random,
    });
    console.log(JSON.stringify(result));
    expect(result.acknowledged).toBeGreaterThan(20);
    expect(result.lost).toBe(0);
    if (signal !== "SIGKILL") expect(result.lockLeft).toBe(false);
  },
  180_000,
);
