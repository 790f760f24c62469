import { DAY_MS } from "../../convex/ml/time";

const MINUTE_MS = 60_000;
import { startLocalBackend } from "../local/backend";
import { createUsers, scoreProbes, type Probe } from "./scoring";
import { store, type StoredRow } from "./store";

/**
 * Window statistics at any density: the documents one scoring reads, and its cost, at a quiet
 * terminal, at one taking 10,000 payments a day for 38 days (every window full), and at one
 * taking 100,000 a day in the two hours around every window edge (where the partial minutes
 * are read row by row: the worst case), on the local engine (documents read as Convex meters them).
 */
export async function benchDensity(probeCount: number) {
  const backend = await startLocalBackend({ dataDir: null, crons: false });
  const users = await createUsers(backend, 1 + probeCount);
  const now = Date.UTC(2018, 8, 15, 12, 0, 0, 0);
  const rowsAt = (terminal: string, perDay: number, from: number, to: number): StoredRow[] => {
    const rows: StoredRow[] = [];
    const step = DAY_MS / perDay;
    for (let ts = from, i = 0; ts < to; ts += step, i++) {
      rows.push({
        customer: 0,
        terminal,
        timestamp: Math.floor(ts),
        amount: 5 + (i % 90),
        fraud: i % 60 === 0,
      });
    }
    return rows;
  };
  const quiet = rowsAt("T-QUIET", 20, now - 38 * DAY_MS, now);
  const busy = rowsAt("T-10K", 10_000, now - 38 * DAY_MS, now);
  const huge: StoredRow[] = [];
  for (const daysBack of [1, 7, 8, 14, 28, 30, 37]) {
    const edge = now - daysBack * DAY_MS;
    huge.push(...rowsAt("T-100K", 100_000, edge - 60 * MINUTE_MS, edge + 60 * MINUTE_MS));
  }
  await store(backend, users, quiet, "quiet", { payments: false });
  await store(backend, users, busy, "10k/day", { payments: false });
  await store(backend, users, huge, "100k/day", { payments: false });

  // Probes spread over an hour (every position against the minute grid), each a new customer.
  const probes = (terminal: string): Probe[] =>
    Array.from({ length: probeCount }, (_, i) => ({
      customer: 1 + i,
      terminal,
      amount: 20 + (i % 50),
      timestamp: now + Math.floor((i * 60 * MINUTE_MS) / probeCount) + (i % 1000),
    }));
  const quietResult = await scoreProbes(backend, users, probes("T-QUIET"), "q");
  const busyResult = await scoreProbes(backend, users, probes("T-10K"), "b");
  const hugeResult = await scoreProbes(backend, users, probes("T-100K"), "h");
  await backend.close();
  const summary = (r: typeof quietResult, payments: number) => ({
    paymentsInWindows: payments,
    documentsRead: r.documentsRead,
    costMs: r.steps.total,
    historyReadMs: r.steps.historyRead,
  });
  return {
    quiet: summary(quietResult, quiet.length),
    tenThousandADay: summary(busyResult, busy.length),
    hundredThousandADayAtEdges: summary(hugeResult, huge.length),
    costRatioBusyToQuiet:
      Math.round((busyResult.steps.total.p50 / quietResult.steps.total.p50) * 100) / 100,
  };
}
