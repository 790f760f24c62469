import { expect, test, vi } from "vitest";
import {
  chatCompletionResponse,
  createUser,
  postPayment,
  type Backend,
} from "../convex/test.setup";
import { setupSystem } from "./setup";

/** How long the slow LLM takes to answer. */
const LLM_MS = 5_000;
/** The real clock, for yielding to the event loop while fake time stands still. */
const realSetTimeout = globalThis.setTimeout;
const realTurn = () => new Promise<void>((resolve) => realSetTimeout(resolve, 0));

/**
 * Posts `count` payments at once, then lets fake time run in steps of 10 ms, a real event-loop
 * turn per step, so every job starts when its time comes and a slow LLM call holds its slot for
 * as long as it takes. Returns when every payment is decided: the fake time of each decision
 * after the posts, and how many LLM answers had come back by then.
 */
async function decide(t: Backend, count: number, llmAnswers: () => number) {
  const userIds = await Promise.all(Array.from({ length: 10 }, () => createUser(t)));
  const start = Date.now();
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      postPayment(t, { userId: userIds[i % userIds.length], terminalId: `T${i % 20}` }),
    ),
  );
  for (let step = 0; step < 3_000; step++) {
    vi.advanceTimersByTime(10);
    await realTurn();
    if (step % 20 !== 19) continue;
    const pending = await t.run(
      async (ctx) =>
        await ctx.db
          .query("tempTransactions")
          .withIndex("by_status_and_receivedAt", (q) => q.eq("status", "pending"))
          .take(1),
    );
    if (pending.length === 0) break;
  }
  const scored = await t.run(async (ctx) => await ctx.db.query("transactions").take(1_000));
  expect(scored).toHaveLength(count);
  return {
    lastDecisionMs: Math.max(...scored.map((p) => p.fraud.scoredAt)) - start,
    answersBefore: llmAnswers(),
  };
}

test("a slow LLM on an explanation pool of 1 never delays a decision", async () => {
  // Scoring runs as in local mode; the explanation pool gets one slot. A first run loads the
  // modules, so the two measured runs start equally warm.
  await decide(setupSystem({ SCORING_PARALLELISM: "32" }), 20, () => 0);
  const alone = await decide(setupSystem({ SCORING_PARALLELISM: "32" }), 200, () => 0);

  const t = setupSystem({
    SCORING_PARALLELISM: "32",
    HF_TOKEN: "hf_secret",
    EXPLANATION_PARALLELISM: "1",
  });
  let inFlight = 0;
  let mostInFlight = 0;
  let answered = 0;
  vi.stubGlobal(
    "fetch",
    () =>
      new Promise<Response>((resolve) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        setTimeout(() => {
          inFlight -= 1;
          answered += 1;
          resolve(chatCompletionResponse("Explained."));
        }, LLM_MS);
      }),
  );
  const withLlm = await decide(t, 200, () => answered);
  // The explanation pool ran one LLM call at a time, and every decision was in before the
  // first of them answered...
  expect(mostInFlight).toBe(1);
  expect(withLlm.answersBefore).toBe(0);
  // ...while the decisions came as fast as with no LLM at all (the steps of fake time are
  // the harness's; a shared pool would have held them behind 200 calls of 5 s each).
  expect(withLlm.lastDecisionMs).toBeLessThanOrEqual(alone.lastDecisionMs * 1.25);
}, 180_000);
