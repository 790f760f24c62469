/**
 * `npm run bench -- [--data FILE.csv] [--sizes 10000,100000,1000000] [--probes 300]
 *   [--ingest 2000] [--json OUT.json]`
 *
 * Measures the running system in this process, on the local engine:
 * 1. Scoring cost per payment, split into its steps (history read, features, logistic
 *    regression, network, write), p50 and p99, with 10 k, 100 k and 1 M payments already
 *    stored, plus a terminal with 100 k payments in its windows. The probes always see the
 *    same history (a cohort of customers and terminals in the 40 days before them); the
 *    rest of the stored payments are older, so any growth in cost is the engine's, not the
 *    history's. Also the documents each scoring reads (Convex's own transaction metrics).
 * 2. Batch feature throughput over the whole dataset (rows per second).
 * 3. Local-mode ingest through the REST API at concurrency 1, 8 and 64: payments per
 *    second, and the time from POST to decision.
 * 4. Rules (`scripts/benchRules.ts`): what 50 active rules over 5 lists of 100,000 items add to
 *    recording a decision, and backtest throughput (`--only rules --backtest 100000`).
 */
import { writeFileSync } from "node:fs";
import type { Id } from "../convex/_generated/dataModel";
import { computeFeatureMatrix } from "../convex/ml/batch";
import { computeFeatures } from "../convex/ml/features";
import { customerStatsKind, dayAggregates, terminalStatsKind } from "../convex/ml/statistics";
import { DAY_MS } from "../convex/ml/time";
import { customerWindowStats, terminalWindowStats } from "../convex/model/history/windowStats";
import { recordInHistory } from "../convex/model/history/aggregates";
import { combineProbabilities } from "../convex/ml/decision";
import { logisticContributions, logisticProbabilities, standardise } from "../convex/ml/logistic";
import { committedArtifact } from "../convex/ml/artifact";
import { networkAttributions, predictNetwork } from "../convex/ml/network";
import type { StoredFraudResult } from "../convex/model/payments/validators";
import type { WorkId } from "@convex-dev/workpool";
import { internal } from "../convex/_generated/api";
import { benchRules } from "./benchRules";
import { startLocalBackend, type LocalBackend } from "./local/backend";
import { parseArgs } from "./ml/args";
import { readTransactionsCsv, type TransactionTable } from "./ml/csv";
import { resolveDataPath } from "./ml/dataset";
import { apiClient, replay } from "./replay/driver";
import { replayEvents } from "./replay/events";
import { progressBar } from "./replay/progress";
import { collectOutcomes, latencySummary, percentile, waitForDecisions } from "./replay/results";

const artifact = committedArtifact;
const log = (m: string) => console.error(`[bench] ${m}`);
const YEAR_MS = 365 * DAY_MS;
const STEPS = ["historyRead", "features", "logistic", "network", "write"] as const;
type Step = (typeof STEPS)[number];

/** A payment whose fraud result is not the point: stored history only. */
const storedResult: StoredFraudResult = {
  score: 0,
  probability: 0,
  decision: "allow",
  reasons: [],
  attributionMethod: "bench",
  models: { logistic: { probability: 0 }, neural: { probability: 0 } },
  features: {},
  modelVersion: "bench",
  scoredAt: 0,
  latencyMs: 0,
};

type StoredRow = {
  customer: number;
  terminal: string;
  timestamp: number;
  amount: number;
  fraud: boolean;
};

function summarize(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
}

let storedCount = 0;

/** Loads rows as stored payments (and their day aggregates), 5,000 per transaction. */
async function store(
  backend: LocalBackend,
  users: Id<"users">[],
  rows: StoredRow[],
  label: string,
) {
  const bar = progressBar(label, rows.length);
  const CHUNK = 5_000;
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    await backend.t.run(async (ctx) => {
      for (const row of chunk) {
        await ctx.db.insert("transactions", {
          paymentId: `pay_s${String(storedCount++).padStart(19, "0")}`,
          userId: users[row.customer],
          amount: row.amount,
          currency: "USD",
          terminalId: row.terminal,
          timestamp: row.timestamp,
          receivedAt: 0,
          ...(row.fraud ? { label: "fraud" as const } : {}),
          status: "scored",
          fraud: storedResult,
        });
      }
    });
    bar.update(Math.min(rows.length, start + CHUNK));
  }
  bar.done();
  // The day aggregates the mutations would have kept, computed with the same code.
  const byCustomer = new Map<number, StoredRow[]>();
  const byTerminal = new Map<string, StoredRow[]>();
  for (const row of rows) {
    const c = byCustomer.get(row.customer);
    if (c) c.push(row);
    else byCustomer.set(row.customer, [row]);
    const t = byTerminal.get(row.terminal);
    if (t) t.push(row);
    else byTerminal.set(row.terminal, [row]);
  }
  const docs: { kind: "c" | "t"; key: number | string; day: number; stats: object }[] = [];
  for (const [customer, list] of byCustomer) {
    for (const [day, stats] of dayAggregates(customerStatsKind, list))
      docs.push({ kind: "c", key: customer, day, stats });
  }
  for (const [terminal, list] of byTerminal) {
    for (const [day, stats] of dayAggregates(terminalStatsKind, list))
      docs.push({ kind: "t", key: terminal, day, stats });
  }
  for (let start = 0; start < docs.length; start += CHUNK) {
    await backend.t.run(async (ctx) => {
      for (const d of docs.slice(start, start + CHUNK)) {
        // Stored histories of different cohorts never share a (customer|terminal, day).
        if (d.kind === "c") {
          await ctx.db.insert("customerDays", {
            userId: users[d.key as number],
            day: d.day,
            stats: d.stats as never,
          });
        } else {
          await ctx.db.insert("terminalDays", {
            terminalId: d.key as string,
            day: d.day,
            stats: d.stats as never,
          });
        }
      }
    });
  }
}

type Probe = { customer: number; terminal: string; amount: number; timestamp: number };

/** Scores probes step by step, exactly as the scoring action does, timing each step. */
async function scoreProbes(
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

function probesFor(
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
async function createUsers(backend: LocalBackend, count: number): Promise<Id<"users">[]> {
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

type ScoringResult = Awaited<ReturnType<typeof scoreProbes>>;
type SizeResult = ScoringResult & {
  stored: number;
  heapMiB: number;
  hotTerminal?: ScoringResult & { payments: number };
};

async function scoringAtSize(
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

async function ingest(table: TransactionTable, concurrency: number, payments: number) {
  process.env.API_KEYS = "bench-key";
  process.env.RATE_LIMIT_PER_MINUTE = String(1e9);
  const backend = await startLocalBackend({ dataDir: null, crons: false, log });
  const client = apiClient((url, init) => backend.t.fetch(url, init), "/api/v1", "bench-key");
  // A month of history first would make this a replay; ingest measures the API with the
  // history it builds itself: consecutive payments of the dataset.
  const start = table.length - payments - 1;
  const rows = Array.from({ length: payments }, (_, k) => start + k).filter(
    (r) => table.amount[r] > 0,
  );
  const events = replayEvents(table, rows, { minDays: 1, maxDays: 7 }, 0);
  const t0 = performance.now();
  const { paymentIds } = await replay(client, table, events, {
    concurrency,
    runId: `ingest${concurrency}`,
  });
  const pending = await waitForDecisions(client, 120_000);
  const seconds = (performance.now() - t0) / 1000;
  const outcomes = await collectOutcomes(client, new Set(paymentIds.values()));
  const latencies = [...outcomes.values()]
    .map((o) => o.latencyMs)
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);
  await backend.close();
  return {
    concurrency,
    payments: rows.length,
    pending,
    throughputPerSecond: Math.round((rows.length / seconds) * 10) / 10,
    decisionLatencyMs: latencySummary(latencies),
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2), {
    data: "",
    sizes: "10000,100000,1000000",
    probes: "300",
    ingest: "2000",
    /** Payments the rules section backtests. */
    backtest: "100000",
    /** Sections to run: scoring, features, ingest, rules. */
    only: "scoring,features,ingest,rules",
    json: "",
  });
  const only = new Set(args.str("only").split(","));
  const result: Record<string, unknown> = { modelVersion: artifact.version };
  if (only.has("rules")) {
    log("rules: cost per decision, and backtest throughput");
    result.rules = await benchRules({
      probes: args.int("probes"),
      backtest: args.int("backtest"),
      log,
    });
  }
  const needsData = only.has("scoring") || only.has("features") || only.has("ingest");
  const dataPath = needsData ? await resolveDataPath(args.str("data"), log) : "";
  const table = needsData
    ? await readTransactionsCsv(dataPath, (n) => log(`read ${n} rows`))
    : (null as never);
  const sizes = args.str("sizes").split(",").map(Number);
  const largest = Math.max(...sizes);

  const ms = (x: number) => x.toFixed(2).padStart(8);

  if (only.has("scoring")) {
    const scoring: Record<string, SizeResult> = {};
    for (const size of sizes) {
      log(`scoring with ${size} payments stored`);
      scoring[String(size)] = await scoringAtSize(
        table,
        size,
        args.int("probes"),
        size === largest,
      );
    }
    const small = scoring[String(Math.min(...sizes))];
    const big = scoring[String(largest)];
    const growth = {
      costRatio1MTo10k: Math.round((big.steps.total.p50 / small.steps.total.p50) * 100) / 100,
      docsReadRatio1MTo10k:
        Math.round((big.documentsRead.mean / small.documentsRead.mean) * 100) / 100,
    };
    Object.assign(result, { scoring, growth });
    console.log("\nScoring cost per payment (ms, p50 / p99), in process");
    console.log(
      `${"stored".padEnd(16)}${STEPS.map((s) => s.padStart(18)).join("")}${"total".padStart(18)}  docs read`,
    );
    const row = (name: string, r: ScoringResult) =>
      console.log(
        `${name.padEnd(16)}${[...STEPS, "total" as const].map((s) => `${ms(r.steps[s].p50)} /${ms(r.steps[s].p99)}`).join(" ")}  ${r.documentsRead.mean} (max ${r.documentsRead.max})`,
      );
    for (const size of sizes) row(String(size), scoring[String(size)]);
    const hot = scoring[String(largest)].hotTerminal;
    if (hot) row("hot terminal", hot);
    console.log(
      `\ngrowth 1M / 10k: cost x${growth.costRatio1MTo10k}, documents read x${growth.docsReadRatio1MTo10k}`,
    );
  }

  if (only.has("features")) {
    log("batch features over the whole dataset");
    const tf0 = performance.now();
    computeFeatureMatrix(table);
    const featureSeconds = (performance.now() - tf0) / 1000;
    const batchFeatures = {
      rows: table.length,
      seconds: Math.round(featureSeconds * 100) / 100,
      rowsPerSecond: Math.round(table.length / featureSeconds),
    };
    result.batchFeatures = batchFeatures;
    console.log(
      `batch features: ${batchFeatures.rows} rows in ${batchFeatures.seconds} s (${batchFeatures.rowsPerSecond} rows/s)`,
    );
  }

  if (only.has("ingest")) {
    const ingestResults = [];
    for (const concurrency of [1, 8, 64]) {
      log(`ingest at concurrency ${concurrency}`);
      ingestResults.push(await ingest(table, concurrency, args.int("ingest")));
    }
    result.ingest = ingestResults;
    console.log("\nLocal-mode ingest through the REST API");
    for (const r of ingestResults) {
      console.log(
        `concurrency ${String(r.concurrency).padStart(2)}: ${r.throughputPerSecond} payments/s, POST to decision p50 ${r.decisionLatencyMs.p50} ms, p99 ${r.decisionLatencyMs.p99} ms, max ${r.decisionLatencyMs.max} ms`,
      );
    }
  }
  if (args.str("json")) {
    writeFileSync(args.str("json"), `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${args.str("json")}`);
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
