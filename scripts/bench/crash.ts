import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crashTrial, type CrashSignal, type CrashTrialResult } from "../local/crashTrial";

/**
 * Acknowledged means durable: `npm start` under a stream of POSTs (8 clients), `rounds`
 * trials per signal, each restarted on the same data directory.
 */
export async function benchCrash(rounds: number) {
  const dataDir = mkdtempSync(join(tmpdir(), "fraud-bench-crash-"));
  const trials: CrashTrialResult[] = [];
  const plan: { signal: CrashSignal; target: "group" | "npm" }[] = [
    { signal: "SIGKILL", target: "group" },
    { signal: "SIGTERM", target: "group" },
    { signal: "SIGINT", target: "group" },
    { signal: "SIGTERM", target: "npm" },
  ];
  try {
    for (const { signal, target } of plan) {
      for (let k = 0; k < rounds; k++) {
        const result = await crashTrial({ dataDir, port: 35_100 + trials.length, signal, target });
        console.error(`[bench] crash ${signal} to ${target}: ${JSON.stringify(result)}`);
        trials.push(result);
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const bySignal = plan.map(({ signal, target }) => {
    const mine = trials.filter((t) => t.signal === signal && t.target === target);
    return {
      signal,
      target,
      trials: mine.length,
      acknowledged: mine.reduce((n, t) => n + t.acknowledged, 0),
      lost: mine.reduce((n, t) => n + t.lost, 0),
      lockLeft: mine.filter((t) => t.lockLeft).length,
      resumedJobsMax: Math.max(...mine.map((t) => t.resumedJobs)),
      restartMsMax: Math.max(...mine.map((t) => t.restartMs)),
      restartToScoredMsMax: Math.max(...mine.map((t) => t.restartToScoredMs)),
    };
  });
  return { bySignal, lostTotal: trials.reduce((n, t) => n + t.lost, 0) };
}
