/**
 * The rules section of `npm run bench` (`--only rules`), on the local engine in memory:
 *
 * 1. The cost rules add to recording a decision (`fraud/scoring.recordOutcome`, where they run):
 *    p50 / p99 with no rule, and with 50 active rules referencing 5 lists of 100,000 items each.
 * 2. Backtest throughput: payments per second of `model/rules/backtest.backtestStep` over
 *    stored scored payments, page after page, as the scheduled chain runs it.
 */
import type { WorkId } from "@convex-dev/workpool";
import { internal } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";
import { FEATURE_NAMES } from "../convex/ml/features";
import { backtestStep, startBacktest } from "../convex/model/rules/backtest";
import { createRule } from "../convex/model/rules/rules";
import type { StoredFraudResult } from "../convex/model/payments/validators";
import { startLocalBackend, type LocalBackend } from "./local/backend";
import { percentile } from "./replay/results";

type Log = (message: string) => void;

const LISTS = 5;
const ITEMS_PER_LIST = 100_000;
const RULES = 50;
const CHUNK = 5_000;

function summarize(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
}

function features(i: number): Record<string, number> {
  return Object.fromEntries(
    FEATURE_NAMES.map((name, j) => [name, ((i * 31 + j * 17) % 100) / 100]),
  );
}

function assessment(i: number): Omit<StoredFraudResult, "scoredAt" | "latencyMs"> {
  return {
    score: i % 100,
    probability: (i % 100) / 100,
    decision: "allow",
    reasons: [],
    attributionMethod: "bench",
    models: { logistic: { probability: 0.1 }, neural: { probability: 0.1 } },
    features: features(i),
    modelVersion: "bench",
  };
}

/** 5 lists of 100,000 terminal ids, customer ids and emails. */
async function storeLists(backend: LocalBackend, log: Log) {
  for (let l = 0; l < LISTS; l++) {
    const listId = await backend.t.run(async (ctx) => {
      const id = await ctx.db.insert("lists", { name: `list_${l}`, createdAt: 0 });
      await ctx.db.insert("listCounts", { listId: id, itemCount: ITEMS_PER_LIST });
      return id;
    });
    for (let start = 0; start < ITEMS_PER_LIST; start += CHUNK) {
      await backend.t.run(async (ctx) => {
        for (let i = start; i < start + CHUNK; i++) {
          await ctx.db.insert("listItems", { listId, value: `T-${l}-${i}`, addedAt: 0 });
        }
      });
    }
    log(`list_${l}: ${ITEMS_PER_LIST} items`);
  }
}

/** 50 active rules, 10 per list, mixing list lookups with payment, user, feature and score tests. */
async function storeRules(backend: LocalBackend) {
  await backend.t.run(async (ctx) => {
    for (let r = 0; r < RULES; r++) {
      const list = `lists.list_${r % LISTS}`;
      const expressions = [
        `payment.terminalId in ${list} && payment.amount > ${100 + r}`,
        `payment.userId in ${list} || features.TERMINAL_ID_RISK_7DAY_WINDOW > 0.9${r % 10}`,
        `user.email in ${list} && score > ${r}`,
        `payment.terminalId in ${list} && has(payment.metadata) && payment.metadata.channel == 'web'`,
        `(payment.terminalId + '-x') in ${list} || probability > 0.99`,
      ];
      await createRule(
        ctx,
        {
          name: `rule_${r}`,
          expression: expressions[r % expressions.length],
          action: (["review", "block", "allow"] as const)[r % 3],
        },
        { kind: "system", name: "benchRules" },
      );
    }
  });
}

/** Stages `count` payments and records each decision, timing `recordOutcome` alone. */
async function timeRecording(
  backend: LocalBackend,
  userId: Id<"users">,
  count: number,
  tag: string,
) {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const paymentId = `pay_r${tag}${String(i).padStart(19 - tag.length, "0")}`;
    await backend.t.run((ctx) =>
      ctx.db.insert("tempTransactions", {
        paymentId,
        userId,
        amount: 50 + (i % 200),
        currency: "USD",
        // One payment in three at a listed terminal.
        terminalId: i % 3 === 0 ? `T-${i % LISTS}-${i * 7}` : `T-free-${i}`,
        timestamp: Date.UTC(2024, 0, 1) + i * 60_000,
        receivedAt: Date.now(),
        status: "pending",
      }),
    );
    const t0 = performance.now();
    await backend.t.mutation(internal.fraud.scoring.recordOutcome, {
      workId: "bench" as WorkId,
      context: { paymentId },
      result: {
        kind: "success",
        returnValue: { kind: "scored", assessment: assessment(i), scoredAt: Date.now() },
      },
    });
    times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 0));
    await backend.t.finishInProgressScheduledFunctions();
  }
  return summarize(times);
}

/** Stores `count` scored payments with features, then backtests them page by page. */
async function timeBacktest(backend: LocalBackend, userId: Id<"users">, count: number) {
  const from = Date.UTC(2023, 0, 1);
  for (let start = 0; start < count; start += CHUNK) {
    await backend.t.run(async (ctx) => {
      for (let i = start; i < Math.min(count, start + CHUNK); i++) {
        await ctx.db.insert("transactions", {
          paymentId: `pay_b${String(i).padStart(19, "0")}`,
          userId,
          amount: 10 + (i % 500),
          currency: "USD",
          terminalId: `T-${i % 1000}`,
          timestamp: from + i * 1000,
          receivedAt: 0,
          ...(i % 7 === 0 ? { label: "fraud" as const } : {}),
          status: "scored",
          fraud: { ...assessment(i), scoredAt: 0, latencyMs: 0 },
        });
      }
    });
  }
  const doc = await backend.t.run((ctx) =>
    startBacktest(ctx, {
      expression: "features.TERMINAL_ID_RISK_7DAY_WINDOW > 0.5",
      action: "block",
      from,
      to: from + count * 1000,
    }),
  );
  const t0 = performance.now();
  let pages = 0;
  for (;;) {
    pages += 1;
    const done = await backend.t.run(async (ctx) =>
      backtestStep(ctx, (await ctx.db.get("backtests", doc._id))!),
    );
    if (done) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  const finished = await backend.t.run((ctx) => ctx.db.get("backtests", doc._id));
  return {
    payments: finished!.scanned,
    matched: finished!.matched,
    pages,
    seconds: Math.round(seconds * 100) / 100,
    paymentsPerSecond: Math.round(finished!.scanned / seconds),
  };
}

/** Runs both measurements and prints them; returns them for `--json`. */
export async function benchRules(options: { probes: number; backtest: number; log: Log }) {
  const { log } = options;
  const backend = await startLocalBackend({ dataDir: null, crons: false, log });
  const userId = await backend.t.run((ctx) =>
    ctx.db.insert("users", { name: "Bench", email: "T-0-1@bench.example", createdAt: 0 }),
  );
  log("recording decisions with no rule");
  const none = await timeRecording(backend, userId, options.probes, "n");
  log(`storing ${LISTS} lists of ${ITEMS_PER_LIST} items and ${RULES} rules`);
  await storeLists(backend, log);
  await storeRules(backend);
  log(`recording decisions with ${RULES} rules`);
  const withRules = await timeRecording(backend, userId, options.probes, "w");
  log(`backtesting ${options.backtest} payments`);
  const backtest = await timeBacktest(backend, userId, options.backtest);
  await backend.close();
  const result = {
    recordOutcomeMs: { none, [`${RULES}Rules${LISTS}Lists`]: withRules },
    addedP50Ms: Math.round((withRules.p50 - none.p50) * 1000) / 1000,
    backtest,
  };
  console.log("\nRules: recording a decision (fraud/scoring.recordOutcome), ms p50 / p99");
  console.log(`no rule                                 ${none.p50} / ${none.p99}`);
  console.log(
    `${RULES} active rules, ${LISTS} lists of ${ITEMS_PER_LIST}    ${withRules.p50} / ${withRules.p99}   (+${result.addedP50Ms} ms p50)`,
  );
  console.log(
    `backtest: ${backtest.payments} payments in ${backtest.seconds} s (${backtest.paymentsPerSecond} payments/s, ${backtest.pages} pages)`,
  );
  return result;
}
