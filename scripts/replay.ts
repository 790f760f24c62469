/**
 * `npm run replay -- [--data FILE.csv] [--from 2018-07-02] [--to 2018-08-14]
 *   [--concurrency 8] [--label-delay-min 1] [--label-delay-max 7]
 *   [--url https://<deployment>.convex.site --key KEY] [--json OUT.json] [--report OUT.html]`
 *
 * Streams a window of a dataset in the handbook's raw schema through the real REST API, as
 * a bank's systems would: one user per customer, every payment with its original
 * timestamp, each fraud's label as feedback some days later. Then it waits for every
 * decision and reports throughput, time from POST to decision, decisions by kind, payments
 * left pending or failed, and the online AUC / AP / CP@100 on the handbook's test week next
 * to the offline figures of the same model version.
 *
 * The default target is the local engine in this process (in memory); `--url` and `--key`
 * measure any deployment instead. The default window is the handbook's test week with the
 * 37 days of history its features need.
 */
import { writeFileSync } from "node:fs";
import artifactJson from "../models/fraud-model.json";
import type { FraudModelArtifact } from "../convex/ml/artifact";
import { parseArgs } from "./ml/args";
import { parseUtcDateTime, readTransactionsCsv } from "./ml/csv";
import { resolveDataPath } from "./ml/dataset";
import { assess } from "./ml/pipeline";
import { addDays, getTrainTestSet, HANDBOOK_TRAIN_START } from "./ml/protocol";
import { apiClient, replay, type ApiClient } from "./replay/driver";
import { replayEvents } from "./replay/events";
import { progressBar } from "./replay/progress";
import { renderReport } from "./replay/report";
import { collectOutcomes, countStatus, latencySummary, waitForDecisions } from "./replay/results";

const artifact = artifactJson as unknown as FraudModelArtifact;
const DAY_MS = 86_400_000;
const TEST_START = addDays(HANDBOOK_TRAIN_START, 14);

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

async function localClient(): Promise<{ client: ApiClient; close: () => Promise<void> }> {
  const key = "replay-key";
  process.env.API_KEYS = key;
  // The replay is one client sending as fast as it can; it is not what the limit is for.
  process.env.RATE_LIMIT_PER_MINUTE ??= String(1e9);
  const { startLocalBackend } = await import("./local/backend");
  const backend = await startLocalBackend({ dataDir: null, log: (m) => console.error(m) });
  const client = apiClient((url, init) => backend.t.fetch(url, init), "/api/v1", key);
  return { client, close: () => backend.close() };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), {
    data: "",
    from: addDays(TEST_START, -37),
    to: addDays(TEST_START, 6),
    concurrency: "8",
    "label-delay-min": "1",
    "label-delay-max": "7",
    url: "",
    key: "",
    json: "",
    report: "",
    "wait-seconds": "600",
    "max-payments": "0",
  });
  const log = (m: string) => console.error(`[replay] ${m}`);
  const dataPath = await resolveDataPath(args.str("data"), log);
  const table = await readTransactionsCsv(dataPath, (n) => log(`read ${n} rows`));
  const from = parseUtcDateTime(args.str("from"));
  const until = parseUtcDateTime(args.str("to")) + DAY_MS;
  const rows: number[] = [];
  let zeroAmounts = 0;
  const maxPayments = args.int("max-payments") || Infinity;
  for (let i = 0; i < table.length && rows.length < maxPayments; i++) {
    if (table.timestampMs[i] < from || table.timestampMs[i] >= until) continue;
    // The simulator can draw a 0.00 amount; the API accepts only positive amounts.
    if (table.amount[i] > 0) rows.push(i);
    else zeroAmounts += 1;
  }
  const delay = {
    minDays: args.number("label-delay-min"),
    maxDays: args.number("label-delay-max"),
  };
  const events = replayEvents(table, rows, delay, until);
  const labels = events.length - rows.length;
  log(
    `${rows.length} payments and ${labels} fraud labels from ${args.str("from")} to ${args.str("to")}`,
  );

  const remote = args.str("url");
  const target = remote
    ? {
        client: apiClient(fetch, `${remote.replace(/\/$/, "")}/api/v1`, args.str("key")),
        close: async () => {},
      }
    : await localClient();
  const concurrency = args.int("concurrency");
  log(`target: ${remote || "local engine (in process, in memory)"}, concurrency ${concurrency}`);

  const bar = progressBar("events", events.length);
  const t0 = performance.now();
  const { paymentIds, stats } = await replay(target.client, table, events, {
    concurrency,
    runId: `r${Date.now().toString(36)}`,
    onProgress: (done) => bar.update(done),
  });
  bar.done();
  const sendSeconds = (performance.now() - t0) / 1000;
  log(
    `sent ${stats.requests} requests in ${sendSeconds.toFixed(1)} s; waiting for the last decisions`,
  );
  const stillPending = await waitForDecisions(target.client, args.int("wait-seconds") * 1000, (n) =>
    log(`${n} pending`),
  );
  const totalSeconds = (performance.now() - t0) / 1000;
  const failed = await countStatus(target.client, "failed");

  const ids = new Set(paymentIds.values());
  const collectBar = progressBar("collect", ids.size);
  const outcomes = await collectOutcomes(target.client, ids, (n) => collectBar.update(n));
  collectBar.done();
  await target.close();

  const latencies = [...outcomes.values()]
    .map((o) => o.latencyMs)
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);
  const decisions = { allow: 0, review: 0, block: 0 };
  const byDay = new Map<string, { allow: number; review: number; block: number }>();
  const versions = new Set<string>();
  for (const o of outcomes.values()) {
    if (!o.decision) continue;
    decisions[o.decision] += 1;
    if (o.modelVersion) versions.add(o.modelVersion);
    const day = new Date(o.timestamp).toISOString().slice(0, 10);
    const counts = byDay.get(day) ?? { allow: 0, review: 0, block: 0 };
    counts[o.decision] += 1;
    byDay.set(day, counts);
  }

  // Online quality on the handbook's test week, with its protocol (known-compromised cards out).
  const split = getTrainTestSet(table, HANDBOOK_TRAIN_START);
  const testRows = Array.from(split.test).filter((r) => paymentIds.has(r));
  const testScores = testRows.map((r) => outcomes.get(paymentIds.get(r)!)?.probability ?? 0);
  const online = testRows.length > 0 ? assess(table, testRows, testScores) : null;
  const offline = (
    artifact.metrics as { test?: { ensemble?: { auc: number; ap: number; cpAt100: number } } }
  ).test?.ensemble;

  const result = {
    target: remote || "local",
    window: { from: args.str("from"), to: args.str("to") },
    payments: rows.length,
    skippedZeroAmounts: zeroAmounts,
    labels,
    decided: latencies.length,
    pending: stillPending,
    failed,
    requests: stats,
    seconds: { send: round(sendSeconds, 1), total: round(totalSeconds, 1) },
    throughputPerSecond: round(rows.length / totalSeconds, 1),
    decisionLatencyMs: latencySummary(latencies),
    decisions,
    modelVersions: [...versions],
    online: online && {
      auc: round(online.auc),
      ap: round(online.ap),
      cpAt100: round(online.cpAt100),
      testPayments: testRows.length,
    },
    offline: offline && {
      auc: round(offline.auc),
      ap: round(offline.ap),
      cpAt100: round(offline.cpAt100),
      modelVersion: artifact.version,
    },
  };

  const line = (k: string, v: unknown) => console.log(`${k.padEnd(28)} ${String(v)}`);
  console.log("");
  line("payments", `${result.payments} (+ ${labels} labels) in ${result.seconds.total} s`);
  line("throughput", `${result.throughputPerSecond} payments/s at concurrency ${concurrency}`);
  line(
    "POST to decision (ms)",
    `p50 ${result.decisionLatencyMs.p50}  p95 ${result.decisionLatencyMs.p95}  p99 ${result.decisionLatencyMs.p99}  max ${result.decisionLatencyMs.max}`,
  );
  line(
    "decisions",
    `allow ${decisions.allow}  review ${decisions.review}  block ${decisions.block}`,
  );
  line("left pending / failed", `${stillPending} / ${failed}`);
  line("HTTP answers", JSON.stringify(stats.statuses));
  line("model version", `${[...versions].join(", ")} (committed: ${artifact.version})`);
  console.log("");
  console.log(`${"".padEnd(28)} ${"AUC".padEnd(8)}${"AP".padEnd(8)}CP@100`);
  const fmt = (m: { auc: number; ap: number; cpAt100: number } | null | undefined) =>
    m ? `${m.auc.toFixed(3).padEnd(8)}${m.ap.toFixed(3).padEnd(8)}${m.cpAt100.toFixed(3)}` : "n/a";
  line("online (this replay)", fmt(result.online));
  line("offline (same model)", fmt(result.offline));

  if (args.str("json")) {
    writeFileSync(args.str("json"), `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${args.str("json")}`);
  }
  if (args.str("report")) {
    writeFileSync(
      args.str("report"),
      renderReport({
        title: `Replay of ${result.payments} payments (${result.window.from} to ${result.window.to})`,
        summary: {
          target: result.target,
          "payments / s": result.throughputPerSecond,
          "POST to decision p50 / p99 (ms)": `${result.decisionLatencyMs.p50} / ${result.decisionLatencyMs.p99}`,
          "pending / failed": `${stillPending} / ${failed}`,
          "online AUC / AP / CP@100": fmt(result.online),
          "offline AUC / AP / CP@100": fmt(result.offline),
        },
        scores: testScores,
        labels: testRows.map((r) => table.fraud[r]),
        latenciesMs: latencies,
        decisionsByDay: [...byDay.entries()].sort().map(([day, c]) => ({ day, ...c })),
      }),
    );
    log(`wrote ${args.str("report")}`);
  }
  process.exit(stillPending === 0 && failed === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
