import { fileURLToPath } from "node:url";
import { internalActionGeneric } from "convex/server";
import { v } from "convex/values";
import { expect, test, vi } from "vitest";
import { internal } from "../convex/_generated/api";
import { EXPLANATION_DUE_MS, scoringOutcome, type ScoringOutcome } from "../convex/fraud/scoring";
import { readTransactionsCsv } from "../scripts/ml/csv";
import { replay } from "../scripts/replay/driver";
import { DEFAULT_LABEL_DELAY, replayEvents } from "../scripts/replay/events";
import {
  apiClientFor,
  call,
  chatCompletionResponse,
  runScheduled,
  type Backend,
} from "../convex/test.setup";
import { setupSystem } from "./setup";

/**
 * Fault injection, as a test harness: the scoring action is replaced by a wrapper that,
 * for a chosen fraction of calls, throws (the action dies before writing) or hangs until
 * Convex's action timeout kills it; the Hugging Face call fails or times out for another
 * fraction. Nothing in the production code knows about it.
 */
const harness = vi.hoisted(() => {
  let seed = 20261124;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return { random, scoringFaultRate: 0, llmFaultRate: 0, thrown: 0, hung: 0, llmFailed: 0 };
});

/** Convex kills an action after 10 minutes. */
const ACTION_TIMEOUT_MS = 10 * 60_000;

vi.mock("../convex/fraud/scoringAction", async (importOriginal) => {
  const original = await importOriginal<typeof import("../convex/fraud/scoringAction")>();
  const handler = (
    original.score as unknown as {
      _handler: (ctx: unknown, args: unknown) => Promise<ScoringOutcome>;
    }
  )._handler;
  return {
    score: internalActionGeneric({
      args: { paymentId: v.string() },
      returns: scoringOutcome,
      handler: async (ctx, args) => {
        const roll = harness.random();
        if (roll < harness.scoringFaultRate / 2) {
          harness.thrown += 1;
          throw new Error("injected: the action crashed");
        }
        if (roll < harness.scoringFaultRate) {
          harness.hung += 1;
          await new Promise((r) => setTimeout(r, ACTION_TIMEOUT_MS));
          throw new Error("injected: the action hung until its timeout");
        }
        return await handler(ctx, args);
      },
    }),
  };
});

function flakyLlm(): typeof fetch {
  return ((_url: string, init: RequestInit) => {
    const roll = harness.random();
    if (roll < harness.llmFaultRate / 2) {
      harness.llmFailed += 1;
      return Promise.resolve(new Response("upstream error", { status: 500 }));
    }
    if (roll < harness.llmFaultRate) {
      harness.llmFailed += 1;
      // Never answers: only the client's timeout ends it.
      return new Promise<Response>((_, reject) =>
        init.signal?.addEventListener("abort", () => reject(new Error("aborted"))),
      );
    }
    return Promise.resolve(chatCompletionResponse("Explained."));
  }) as typeof fetch;
}

/** Lets the pools and the watchdog (the cron) run as time passes, until nothing is left. */
async function recover(t: Backend) {
  for (let round = 0; round < 10; round++) {
    await runScheduled(t);
    vi.advanceTimersByTime(EXPLANATION_DUE_MS + 1);
    const fixed = await t.mutation(internal.fraud.watchdog.run, {});
    if (fixed.rescheduled + fixed.failed + fixed.explained === 0) return round;
  }
  throw new Error("the watchdog did not converge");
}

test("with 10 % faults every payment ends scored or failed, none twice, none lost, no 5xx", async () => {
  harness.scoringFaultRate = 0.1;
  harness.llmFaultRate = 0.1;
  // convex-test logs each failed scheduled function; the injected ones are expected.
  const logged = console.error.bind(console);
  let injectedReports = 0;
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    if (args.some((a) => String(a).includes("injected:"))) injectedReports += 1;
    else logged(...args);
  });
  const t = setupSystem({ HF_TOKEN: "hf_test", HF_TIMEOUT_MS: "8000" });
  vi.stubGlobal("fetch", flakyLlm());

  const sample = await readTransactionsCsv(
    fileURLToPath(new URL("../data/sample.csv", import.meta.url)),
  );
  const rows = Array.from({ length: 1_200 }, (_, i) => i);
  const events = replayEvents(sample, rows, DEFAULT_LABEL_DELAY);
  const client = apiClientFor(t);
  const { paymentIds, stats } = await replay(client, sample, events, {
    concurrency: 4,
    runId: "faults",
    afterPayment: (row) => (row % 20 === 19 ? runScheduled(t) : Promise.resolve()),
  });
  await recover(t);

  expect(stats.statuses["5xx"] ?? 0).toBe(0);
  // About one scoring in ten fails (how many depends on how jobs interleave): enough to matter.
  expect(harness.thrown + harness.hung).toBeGreaterThan(25);
  expect(injectedReports).toBe(harness.thrown + harness.hung);
  expect(harness.llmFailed).toBeGreaterThan(25);

  const state = await t.run(async (ctx) => ({
    staged: await ctx.db.query("tempTransactions").take(10_000),
    scored: await ctx.db.query("transactions").take(10_000),
  }));
  const posted = new Set(paymentIds.values());
  expect(posted.size).toBe(rows.length);
  // None lost: every posted payment is in exactly one table; none scored twice.
  const scoredIds = state.scored.map((p) => p.paymentId);
  expect(new Set(scoredIds).size).toBe(scoredIds.length);
  const all = [...scoredIds, ...state.staged.map((p) => p.paymentId)];
  expect(all.length).toBe(posted.size);
  expect(new Set(all)).toEqual(posted);
  // None pending; the few that failed every attempt say so.
  expect(state.staged.filter((p) => p.status === "pending")).toEqual([]);
  for (const failed of state.staged) {
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("scoring_error");
  }
  expect(state.staged.length).toBeLessThan(rows.length * 0.01);
  // Every scored payment is explained, by the LLM or, when it failed, by the template.
  expect(state.scored.every((p) => p.fraud.explanation !== undefined)).toBe(true);
  const sources = new Set(state.scored.map((p) => p.fraud.explanationSource));
  expect(sources).toEqual(new Set(["llm", "template"]));

  const failedList = await call(t, "GET", "/transactions?status=failed&limit=200");
  expect(failedList.body.data).toHaveLength(state.staged.length);
}, 300_000);
