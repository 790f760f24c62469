import type { WorkId } from "@convex-dev/workpool";
import { internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { committedArtifact } from "../../convex/ml/artifact";
import { combineProbabilities } from "../../convex/ml/decision";
import { computeFeatures } from "../../convex/ml/features";
import {
  logisticContributions,
  logisticProbabilities,
  standardise,
} from "../../convex/ml/logistic";
import { networkAttributions, predictNetwork } from "../../convex/ml/network";
import { DAY_MS } from "../../convex/ml/time";
import { recordInHistory } from "../../convex/model/history/aggregates";
import { customerWindowStats, terminalWindowStats } from "../../convex/model/history/windowStats";
import { startLocalBackend, type LocalBackend } from "../local/backend";
import type { TransactionTable } from "../ml/csv";
import { percentile } from "../replay/results";
import { store, storedResult, type StoredRow } from "./store";

/**
 * Scoring cost per payment, split into its steps (history read, features, logistic regression,
 * network, write), with history already stored, and the documents each scoring reads (Convex's
 * own transaction metrics).
 */

const artifact = committedArtifact;
const log = (m: string) => console.error(`[bench] ${m}`);
const YEAR_MS = 365 * DAY_MS;
export const STEPS = ["historyRead", "features", "logistic", "network", "write"] as const;
type Step = (typeof STEPS)[number];

export function summarize(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
}

export type Probe = { customer: number; terminal: string; amount: number; timestamp: number };

/** Scores probes step by step, exactly as the scoring action does, timing each step. */
export async function scoreProbes(
  backend: LocalBackend,
  users: Id<"users">[],
  probes: Probe[],
  tag: string,
) {
  const times: Record<Step | "total", number[]> = {
    historyRead: [],
    features: [],
    logistic: [],
    network: [],
    write: [],
    total: [],
  };
  const documentsRead: number[] = [];
  for (const [i, probe] of probes.entries()) {
    const paymentId = `pay_p${tag}${String(i).padStart(19 - tag.length, "0")}`;
    const receivedAt = Date.now();
    const subject = {
      paymentId,
      userId: users[probe.customer],
      terminalId: probe.terminal,
      timestamp: probe.timestamp,
      amount: probe.amount,
      receivedAt,
    };
    // Staged as the POST mutation would (not timed: it is the API's work, not scoring's).
    await backend.t.run(async (ctx) => {
      await ctx.db.insert("tempTransactions", {
        ...subject,
        currency: "USD",
        status: "pending",
      });
      await recordInHistory(ctx, subject);
    });

    let t0 = performance.now();
    const { customer, terminal, reads } = await backend.t.run(async (ctx) => {
      const c = await customerWindowStats(ctx, subject);
      const tw = await terminalWindowStats(ctx, subject);
      const metrics = await ctx.meta.getTransactionMetrics();
      return { customer: c, terminal: tw, reads: metrics.documentsRead.used };
    });
    const tHistory = performance.now() - t0;
    t0 = performance.now();
    const vector = computeFeatures(probe, customer, terminal);
    const tFeatures = performance.now() - t0;
    t0 = performance.now();
    const z = standardise(artifact, vector);
    const pLogistic = logisticProbabilities(artifact, [z])[0];
    logisticContributions(artifact, z);
    const tLogistic = performance.now() - t0;
    t0 = performance.now();
    const pNeural = await predictNetwork(artifact, z);
    await networkAttributions(artifact, z);
    const tNetwork = performance.now() - t0;
    const probability = combineProbabilities(artifact.ensemble, pLogistic, pNeural);
    t0 = performance.now();
    // What the scoring pool's onComplete does with the job's outcome.
    const { scoredAt: _s, latencyMs: _l, ...assessment } = storedResult;
    await backend.t.mutation(internal.fraud.scoring.recordOutcome, {
      workId: "bench" as WorkId,
      context: { paymentId },
      result: {
        kind: "success",
        returnValue: {
          kind: "scored",
          assessment: { ...assessment, probability, modelVersion: artifact.version },
          scoredAt: Date.now(),
        },
      },
    });
    const tWrite = performance.now() - t0;

    times.historyRead.push(tHistory);
    times.features.push(tFeatures);
    times.logistic.push(tLogistic);
    times.network.push(tNetwork);
    times.write.push(tWrite);
    times.total.push(tHistory + tFeatures + tLogistic + tNetwork + tWrite);
    documentsRead.push(reads);
    // The explanation the record enqueues is not part of scoring: let it run now, so
    // it does not interleave with the next probe's measurements.
    await new Promise((r) => setTimeout(r, 0));
    await backend.t.finishInProgressScheduledFunctions();
  }
  return {
    steps: Object.fromEntries(
      (Object.keys(times) as (Step | "total")[]).map((s) => [s, summarize(times[s])]),
    ) as Record<Step | "total", { p50: number; p99: number }>,
    documentsRead: {
      mean: Math.round(documentsRead.reduce((a, b) => a + b, 0) / documentsRead.length),
      max: Math.max(...documentsRead),
    },
  };
}

/** The stored history for one size: the probes' cohort, plus older payments to fill up. */
function storedRows(table: TransactionTable, size: number, probeTime: number) {
  const cohortCustomers = 25;
  const cohortTerminals = new Set<number>();
  for (let t = 0; t < 100; t++) cohortTerminals.add(t);
  const cohort: StoredRow[] = [];
  const filler: StoredRow[] = [];
  for (let i = 0; i < table.length; i++) {
    const ts = table.timestampMs[i];
    const row: StoredRow = {
      customer: table.customer[i],
      terminal: table.terminalIds[table.terminal[i]],
      timestamp: ts,
      amount: table.amount[i] > 0 ? table.amount[i] : 0.01,
      fraud: table.fraud[i] === 1,
    };
    const inWindow = ts >= probeTime - 40 * DAY_MS && ts < probeTime;
    if (
      inWindow &&
      (table.customer[i] < cohortCustomers || cohortTerminals.has(table.terminal[i]))
    ) {
      cohort.push(row);
    } else if (filler.length < size) {
      // A year earlier: stored, but outside every window a probe reads.
      filler.push({ ...row, timestamp: ts - YEAR_MS });
    }
  }
  return {
    cohort,
    filler: filler.slice(0, Math.max(0, size - cohort.length)),
    cohortCustomers,
    cohortTerminals,
  };
}

export function probesFor(
  table: TransactionTable,
  count: number,
  probeTime: number,
  customers: number,
  terminals: number[],
) {
  const probes: Probe[] = [];
  for (let i = 0; i < count; i++) {
    probes.push({
      customer: i % customers,
      terminal: table.terminalIds[terminals[(i * 7) % terminals.length]],
      amount: Math.round((5 + ((i * 37) % 200)) * 100) / 100,
      timestamp: probeTime + i * 1000,
    });
  }
  return probes;
}

/** Users 0 .. count-1 are the dataset's customers; the 100 after them own the hot terminal's payments. */
export async function createUsers(backend: LocalBackend, count: number): Promise<Id<"users">[]> {
  return await backend.t.run(async (ctx) => {
    const ids: Id<"users">[] = [];
    for (let c = 0; c < count; c++) {
      ids.push(
        await ctx.db.insert("users", { name: `C${c}`, email: `c${c}@bench.example`, createdAt: 0 }),
      );
    }
    return ids;
  });
}

export type ScoringResult = Awaited<ReturnType<typeof scoreProbes>>;
export type SizeResult = ScoringResult & {
  stored: number;
  heapMiB: number;
  hotTerminal?: ScoringResult & { payments: number };
};

export async function scoringAtSize(
  table: TransactionTable,
  size: number,
  probeCount: number,
  hotTerminal: boolean,
) {
  const backend = await startLocalBackend({ dataDir: null, crons: false, log });
  const users = await createUsers(backend, table.customerIds.length + 100);
  const probeTime = Date.UTC(2018, 8, 1, 12);
  const { cohort, filler, cohortCustomers, cohortTerminals } = storedRows(table, size, probeTime);
  await store(backend, users, [...cohort, ...filler], `store${size}`);
  const result: SizeResult = {
    stored: cohort.length + filler.length,
    heapMiB: 0,
    ...(await scoreProbes(
      backend,
      users,
      probesFor(table, probeCount, probeTime, cohortCustomers, [...cohortTerminals]),
      String(size).slice(0, 8),
    )),
  };
  if (hotTerminal) {
    const hot: StoredRow[] = [];
    const span = 37 * DAY_MS;
    for (let i = 0; i < 100_000; i++) {
      hot.push({
        customer: table.customerIds.length + (i % 100),
        terminal: "T-HOT",
        timestamp: probeTime - span + Math.floor((i * span) / 100_000) + 1,
        amount: 10 + (i % 90),
        fraud: i % 40 === 0,
      });
    }
    await store(backend, users, hot, "hot");
    const probes = probesFor(
      table,
      Math.min(probeCount, 100),
      probeTime + DAY_MS,
      cohortCustomers,
      [0],
    ).map((p) => ({ ...p, terminal: "T-HOT" }));
    result.hotTerminal = {
      payments: hot.length,
      ...(await scoreProbes(backend, users, probes, "hot")),
    };
  }
  result.heapMiB = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
  await backend.close();
  return result;
}
