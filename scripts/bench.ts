/**
 * `npm run bench -- [--data FILE.csv] [--sizes 10000,100000,1000000] [--probes 300]
 *   [--ingest 1000] [--only scoring,features,density,ingest,hot,busy,inline,crash,rules,sync]
 *   [--crash-rounds 5] [--json OUT.json]`
 *
 * Measures the running system, on the local engine (sections in `scripts/bench/`):
 * - scoring: cost per payment, split into its steps, p50 and p99, with 10 k, 100 k and 1 M
 *   payments stored, plus a terminal with 100 k payments in its windows; documents read.
 * - features: batch feature throughput over the whole dataset.
 * - density: documents read and cost per scoring at a quiet terminal, at 10,000 payments a
 *   day for 38 days, and at 100,000 a day around every window edge.
 * - ingest: `npm start`'s server over HTTP at concurrency 1, 8 and 64, durable (responses after
 *   fdatasync) and in memory: payments per second, POST to decision, the hottest document.
 * - hot: 64 clients posting to one terminal: the hottest document's share of requests.
 * - busy: another customer's POST to decision while one customer posts 500 payments in 15 s.
 * - inline: `Prefer: wait=5` round trips at concurrency 1.
 * - crash: kill -9, SIGTERM, Ctrl-C and SIGTERM to npm under load, restarted: payments lost.
 * - sync (`scripts/bench/sync.ts`): the Convex client protocol in local mode: commit to client
 *   callback with 1,000 subscriptions, fan-out to 100 clients, ingest with 100 subscriptions.
 * - rules (`scripts/benchRules.ts`): what 50 active rules over 5 lists of 100,000 items add to
 *   recording a decision, and backtest throughput (`--backtest 100000`).
 */
import { writeFileSync } from "node:fs";
import { committedArtifact } from "../convex/ml/artifact";
import { computeFeatureMatrix } from "../convex/ml/batch";
import { benchCrash } from "./bench/crash";
import { benchDensity } from "./bench/density";
import { benchBusyCustomer, benchHotTerminal, benchIngest, benchInline } from "./bench/ingest";
import { scoringAtSize, STEPS, type ScoringResult, type SizeResult } from "./bench/scoring";
import { benchRules } from "./benchRules";
import { benchSync } from "./bench/sync";
import { parseArgs } from "./ml/args";
import { readTransactionsCsv } from "./ml/csv";
import { resolveDataPath } from "./ml/dataset";

const artifact = committedArtifact;
const log = (m: string) => console.error(`[bench] ${m}`);

async function main() {
  const args = parseArgs(process.argv.slice(2), {
    data: "",
    sizes: "10000,100000,1000000",
    probes: "300",
    ingest: "1000",
    /** Sections to run. */
    only: "scoring,features,density,ingest,hot,busy,inline,crash,rules,sync",
    "crash-rounds": "5",
    /** Payments the rules section backtests. */
    backtest: "100000",
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

  if (only.has("density")) {
    log("density");
    const density = await benchDensity(Math.min(args.int("probes"), 200));
    result.density = density;
    console.log("\nWindow statistics at any density (documents read per scoring, cost p50 ms)");
    for (const [name, r] of Object.entries({
      "quiet terminal": density.quiet,
      "10,000 a day, 38 days": density.tenThousandADay,
      "100,000 a day at the edges": density.hundredThousandADayAtEdges,
    })) {
      console.log(
        `${name.padEnd(28)} ${String(r.paymentsInWindows).padStart(8)} payments: ${r.documentsRead.mean} docs (max ${r.documentsRead.max}), ${r.costMs.p50} ms p50, ${r.costMs.p99} ms p99`,
      );
    }
    console.log(`cost ratio 10,000 a day / quiet: x${density.costRatioBusyToQuiet}`);
  }

  if (only.has("ingest")) {
    const ingestResults: Awaited<ReturnType<typeof benchIngest>>[] = [];
    for (const durable of [true, false]) {
      for (const concurrency of [1, 8, 64]) {
        log(`ingest at concurrency ${concurrency}, ${durable ? "durable" : "in memory"}`);
        ingestResults.push(await benchIngest(table, concurrency, args.int("ingest"), durable));
      }
    }
    result.ingest = ingestResults;
    console.log("\nLocal-mode ingest over HTTP (npm start's server)");
    for (const r of ingestResults) {
      console.log(
        `${r.durable ? "durable  " : "in memory"} c=${String(r.concurrency).padStart(2)}: ${r.throughputPerSecond} payments/s, POST to decision p50 ${r.decisionLatencyMs.p50} ms, p99 ${r.decisionLatencyMs.p99} ms; hottest document ${r.hottestDocument?.document} ${r.hottestDocument?.share}`,
      );
    }
    const at = (c: number, d: boolean) =>
      ingestResults.find((r) => r.concurrency === c && r.durable === d)!.throughputPerSecond;
    result.durabilityCost = Object.fromEntries(
      [1, 8, 64].map((c) => [`c${c}`, Math.round((at(c, true) / at(c, false)) * 100) / 100]),
    );
    console.log(`durable / in-memory throughput: ${JSON.stringify(result.durabilityCost)}`);
  }

  if (only.has("hot")) {
    log("hot terminal");
    const hot = await benchHotTerminal(args.int("ingest"));
    result.hotTerminal = hot;
    console.log(
      `\nhot terminal, c=64: hottest document ${hot.hottestDocument?.document}, written by ${hot.hottestDocument?.writers} of ${hot.hottestDocument?.requests} requests (${hot.hottestDocument?.share})`,
    );
  }

  if (only.has("busy")) {
    log("busy customer");
    const busy = await benchBusyCustomer(500, 15);
    result.busyCustomer = busy;
    console.log(
      `\nanother customer's POST to decision: alone p50 ${busy.aloneMs.p50} ms, while one customer posts 500 in 15 s p50 ${busy.whileBusyMs.p50} ms (x${busy.p50Ratio})`,
    );
  }

  if (only.has("inline")) {
    log("inline decisions");
    const inline = await benchInline(300);
    result.inline = inline;
    console.log(
      `\nPOST with Prefer: wait=5, c=1, durable: p50 ${inline.roundTripMs.p50} ms, p99 ${inline.roundTripMs.p99} ms, max ${inline.roundTripMs.max} ms; ${inline.decidedInline}/${inline.payments} answered 201`,
    );
  }

  if (only.has("crash")) {
    log("crash trials");
    const crash = await benchCrash(args.int("crash-rounds"));
    result.crash = crash;
    console.log("\nAcknowledged payments lost over crash trials (restart on the same directory)");
    for (const r of crash.bySignal) {
      console.log(
        `${r.signal.padEnd(7)} to ${r.target.padEnd(5)} x${r.trials}: ${r.lost} lost of ${r.acknowledged} acknowledged, lock left ${r.lockLeft}, restart ${r.restartMsMax} ms, pending decided ${r.restartToScoredMsMax} ms after it`,
      );
    }
  }

  if (only.has("sync")) {
    log("sync: the Convex client protocol in local mode");
    const sync = await benchSync({ log });
    result.sync = sync;
    const f = (x: { p50: number; p95: number; max: number }) =>
      `p50 ${x.p50} ms, p95 ${x.p95} ms, max ${x.max} ms`;
    console.log("\nLive updates (local mode's sync protocol, the real ConvexClient)");
    console.log(
      `commit -> callback, 1,000 subscriptions on one client: ${f(sync.latency1000OnOneClientMs)}`,
    );
    console.log(
      `commit -> callback, 1,000 subscriptions on 100 clients: ${f(sync.latency1000On100ClientsMs)}`,
    );
    console.log(
      `100 clients on one list, until the last has a write: ${f(sync.fanout100ClientsMs)}`,
    );
    console.log(
      `ingest with 100 live subscriptions: ${sync.ingest.with100SubscriptionsPerSecond} vs ${sync.ingest.withoutSubscriptionsPerSecond} payments/s without (${sync.ingest.relativeChange})`,
    );
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
