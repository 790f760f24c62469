import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { api, internal } from "../_generated/api";
import {
  call,
  chatCompletionResponse,
  createUser,
  postPayment,
  runScheduled,
  setupBackend,
  stepScheduled,
  type Backend,
} from "../test.setup";
import { FEATURE_NAMES } from "../ml/features";
import { SCORING_RETRY } from "./pools";
import { EXPLANATION_DUE_MS } from "./scoring";
import { templateExplanation } from "./template";
import { SCORING_CHECK_AFTER_MS } from "./watchdog";

// Seams for the failure tests, without any production flag: the models can throw, and the
// pool's record of a decision can fail (so the pool loses the job's outcome).
const faults = vi.hoisted(() => ({ failScoring: 0, failRecording: 0, failExplaining: 0 }));
vi.mock("../ml/scorer", async (importOriginal) => {
  const original = await importOriginal<typeof import("../ml/scorer")>();
  return {
    ...original,
    assessPayment: async (...args: Parameters<typeof original.assessPayment>) => {
      if (faults.failScoring > 0) {
        faults.failScoring -= 1;
        throw new Error("model exploded");
      }
      return await original.assessPayment(...args);
    },
  };
});
vi.mock("../model/payments/lifecycle", async (importOriginal) => {
  const original = await importOriginal<typeof import("../model/payments/lifecycle")>();
  return {
    ...original,
    promoteToScored: async (...args: Parameters<typeof original.promoteToScored>) => {
      if (faults.failRecording > 0) {
        faults.failRecording -= 1;
        throw new Error("recording failed");
      }
      return await original.promoteToScored(...args);
    },
    recordExplanation: async (...args: Parameters<typeof original.recordExplanation>) => {
      if (faults.failExplaining > 0) {
        faults.failExplaining -= 1;
        throw new Error("recording failed");
      }
      return await original.recordExplanation(...args);
    },
  };
});

beforeEach(() => {
  vi.useFakeTimers();
  faults.failScoring = 0;
  faults.failRecording = 0;
  faults.failExplaining = 0;
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

async function rows(t: Backend) {
  return await t.run(async (ctx) => ({
    staged: await ctx.db.query("tempTransactions").take(100),
    scored: await ctx.db.query("transactions").take(100),
    terminalBuckets: await ctx.db.query("terminalBuckets").take(100),
    customerBuckets: await ctx.db.query("customerBuckets").take(100),
  }));
}

const get = async (t: Backend, id: string) =>
  (await call(t, "GET", `/transactions/${id}`)).body.transaction;

test("a posted payment is scored, decided, explained, under the same id", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const posted = await postPayment(t, { userId, amount: 57.3, terminalId: "T-9" });
  expect(posted.body.transaction.status).toBe("pending");
  const id = posted.body.transaction.id;

  await runScheduled(t);
  const tx = await get(t, id);
  expect(tx).toMatchObject({ id, status: "scored", error: null });
  const fraud = tx.fraud;
  expect(fraud.score).toBeGreaterThanOrEqual(0);
  expect(fraud.score).toBeLessThanOrEqual(100);
  expect(fraud.score).toBe(Math.round(fraud.probability * 100));
  expect(["allow", "review", "block"]).toContain(fraud.decision);
  expect(["low", "medium", "high"]).toContain(fraud.level);
  expect(fraud.models.logistic.probability).toBeGreaterThan(0);
  expect(fraud.models.neural.probability).toBeGreaterThan(0);
  expect(Object.keys(fraud.features).sort()).toEqual([...FEATURE_NAMES].sort());
  expect(fraud.features.TX_AMOUNT).toBe(57.3);
  expect(fraud.features.CUSTOMER_ID_NB_TX_1DAY_WINDOW).toBe(1);
  expect(fraud.reasons.length).toBeGreaterThan(0);
  for (const reason of fraud.reasons) {
    expect(reason.text.length).toBeGreaterThan(10);
    expect(FEATURE_NAMES).toContain(reason.feature);
  }
  expect(fraud.attributionMethod).toMatch(/integrated-gradients/);
  expect(fraud.latencyMs).toBeGreaterThanOrEqual(0);
  expect(fraud.explanationSource).toBe("template");
  expect(fraud.explanation).toBe(
    templateExplanation({
      amount: 57.3,
      currency: "USD",
      decision: fraud.decision,
      score: fraud.score,
      reasons: fraud.reasons,
    }),
  );
  const state = await rows(t);
  expect(state.staged).toHaveLength(0);
  expect(state.scored).toHaveLength(1);
  expect(state.scored[0].explanationDueAt).toBeUndefined();
});

/** What a subscriber to `api.transactions.get` sees change, step by step of the pools. */
async function subscriberSees(t: Backend, id: string) {
  const asCustomer = t.withIdentity({ issuer: "https://auth.example.com", subject: "ada" });
  const seen: unknown[] = [];
  const observe = async () => {
    const p = await asCustomer.query(api.transactions.get, { id });
    const view = p && {
      status: p.status,
      decision: p.fraud?.decision ?? null,
      explained: p.fraud?.explanation !== undefined && p.fraud !== null,
    };
    if (JSON.stringify(view) !== JSON.stringify(seen[seen.length - 1])) seen.push(view);
  };
  await observe();
  for (let step = 0; step < 40; step++) {
    await stepScheduled(t);
    await observe();
  }
  return seen;
}

test("a subscriber sees pending, then the decision, then the LLM's explanation", async () => {
  const t = setupBackend({ HF_TOKEN: "hf_secret" });
  vi.stubGlobal("fetch", () => Promise.resolve(chatCompletionResponse("Looks fine.")));
  const userId = await createUser(t, { tokenIdentifier: "https://auth.example.com|ada" });
  const id = (await postPayment(t, { userId })).body.transaction.id;
  const seen = await subscriberSees(t, id);
  expect(seen).toHaveLength(3);
  expect(seen[0]).toEqual({ status: "pending", decision: null, explained: false });
  expect(seen[1]).toMatchObject({ status: "scored", explained: false });
  expect(seen[2]).toMatchObject({ status: "scored", explained: true });
});

test("without an LLM the template explanation arrives with the decision", async () => {
  const t = setupBackend();
  const userId = await createUser(t, { tokenIdentifier: "https://auth.example.com|ada" });
  const id = (await postPayment(t, { userId })).body.transaction.id;
  const seen = await subscriberSees(t, id);
  expect(seen).toHaveLength(2);
  expect(seen[0]).toEqual({ status: "pending", decision: null, explained: false });
  expect(seen[1]).toMatchObject({ status: "scored", explained: true });
});

test("with HF_TOKEN the LLM writes the explanation from the reasons", async () => {
  const t = setupBackend({ HF_TOKEN: "hf_secret", HF_MODEL: "meta-llama/Llama-3.1-8B-Instruct" });
  const bodies: any[] = [];
  vi.stubGlobal("fetch", (_url: string, init: RequestInit) => {
    bodies.push(JSON.parse(init.body as string));
    return Promise.resolve(chatCompletionResponse("Looks fine."));
  });
  const userId = await createUser(t);
  const id = (await postPayment(t, { userId, amount: 12 })).body.transaction.id;
  await runScheduled(t);
  const tx = await get(t, id);
  expect(tx.fraud).toMatchObject({
    explanation: "Looks fine.",
    explanationSource: "llm",
    explanationModel: "meta-llama/Llama-3.1-8B-Instruct",
  });
  expect(bodies).toHaveLength(1);
  const facts = JSON.parse(bodies[0].messages[1].content);
  expect(facts.reasons.map((r: { factor: string }) => r.factor)).toEqual(
    tx.fraud.reasons.map((r: { text: string }) => r.text),
  );
  expect(facts.amount).toBe("12.00 USD");
});

test.each([
  ["an HTTP 500", () => new Response("{}", { status: 500 })],
  ["a malformed answer", () => new Response(JSON.stringify({ nope: 1 }), { status: 200 })],
  ["a timeout", () => new Promise<Response>(() => undefined)],
])("with HF_TOKEN and %s the template writes it", async (_name, respond) => {
  const t = setupBackend({ HF_TOKEN: "hf_secret", HF_TIMEOUT_MS: "8000" });
  vi.stubGlobal("fetch", (_url: string, init: RequestInit) =>
    Promise.race([
      respond(),
      new Promise<Response>((_, reject) =>
        init.signal?.addEventListener("abort", () => reject(new Error("aborted"))),
      ),
    ]),
  );
  const userId = await createUser(t);
  const id = (await postPayment(t, { userId })).body.transaction.id;
  await runScheduled(t);
  const tx = await get(t, id);
  expect(tx.fraud.explanationSource).toBe("template");
  expect(tx.fraud.explanation).toMatch(/^This payment of 42.50 USD was/);
});

test("a failing attempt is retried; after the last one the payment is failed with its error", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  faults.failScoring = 1;
  const retried = (await postPayment(t, { userId })).body.transaction.id;
  await runScheduled(t);
  expect((await get(t, retried)).status).toBe("scored");

  faults.failScoring = SCORING_RETRY.maxAttempts;
  const failed = (await postPayment(t, { userId })).body.transaction.id;
  await runScheduled(t);
  const tx = await get(t, failed);
  expect(tx.status).toBe("failed");
  expect(tx.error).toEqual({ code: "scoring_error", message: "model exploded" });
  expect(faults.failScoring).toBe(0);
  const list = await call(t, "GET", "/transactions?status=failed");
  expect(list.body.data.map((p: { id: string }) => p.id)).toEqual([failed]);
  // The watchdog leaves failed payments alone.
  vi.advanceTimersByTime(SCORING_CHECK_AFTER_MS + 1);
  expect(await t.mutation(internal.fraud.watchdog.run, {})).toEqual({
    rescheduled: 0,
    failed: 0,
    explained: 0,
  });
});

test("a job whose outcome the pool lost is enqueued again by the watchdog, and scored once", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  // The decision cannot be recorded: inline, then in the pool's scheduled retry of onComplete.
  faults.failRecording = 2;
  const id = (await postPayment(t, { userId })).body.transaction.id;
  // Not overdue yet: nothing to do.
  expect((await t.mutation(internal.fraud.watchdog.run, {})).rescheduled).toBe(0);
  await runScheduled(t);
  expect(faults.failRecording).toBe(0);
  expect((await get(t, id)).status).toBe("pending");
  vi.advanceTimersByTime(SCORING_CHECK_AFTER_MS + 1);
  expect((await t.mutation(internal.fraud.watchdog.run, {})).rescheduled).toBe(1);
  // The new job is alive: a second run leaves it alone.
  expect((await t.mutation(internal.fraud.watchdog.run, {})).rescheduled).toBe(0);
  await runScheduled(t);
  const tx = await get(t, id);
  expect(tx.status).toBe("scored");
  expect(tx.fraud.explanationSource).toBe("template");
  expect((await rows(t)).scored).toHaveLength(1);
});

test("a payment whose jobs keep getting lost fails with scoring_timeout", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  faults.failRecording = 1_000;
  const id = (await postPayment(t, { userId })).body.transaction.id;
  for (let round = 0; round < 5; round++) {
    await runScheduled(t);
    vi.advanceTimersByTime(SCORING_CHECK_AFTER_MS + 1);
    await t.mutation(internal.fraud.watchdog.run, {});
  }
  const tx = await get(t, id);
  expect(tx.status).toBe("failed");
  expect(tx.error.code).toBe("scoring_timeout");
});

test("a history too dense to read fails at once with history_too_dense", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const t0 = Date.UTC(2018, 5, 1, 12, 0, 30);
  // 1,001 payments of the terminal in the partial minute at the start of its 1-day window
  // (8 days back, the 30 s after 12:00:30): more than one transaction may read row by row.
  await t.run(async (ctx) => {
    for (let i = 0; i < 1_001; i++) {
      await ctx.db.insert("historyRows", {
        side: "terminal",
        key: "T-dense",
        timestamp: t0 - 8 * 86_400_000 + 1 + i * 20,
        amount: 1,
        fraud: false,
        paymentId: `pay_dense${String(i).padStart(15, "0")}`,
        receivedAt: t0,
        folded: true,
      });
    }
  });
  const id = (await postPayment(t, { userId, terminalId: "T-dense", timestamp: t0 })).body
    .transaction.id;
  await runScheduled(t);
  const tx = await get(t, id);
  expect(tx.status).toBe("failed");
  expect(tx.error.code).toBe("history_too_dense");
});

test("the watchdog writes the template when the explanation job's outcome was lost", async () => {
  const t = setupBackend({ HF_TOKEN: "hf_secret" });
  vi.stubGlobal("fetch", () => Promise.resolve(chatCompletionResponse("Looks fine.")));
  // The explanation cannot be recorded: inline, then in the pool's scheduled retry of onComplete.
  faults.failExplaining = 2;
  const userId = await createUser(t);
  const id = (await postPayment(t, { userId })).body.transaction.id;
  await runScheduled(t);
  expect(faults.failExplaining).toBe(0);
  expect((await get(t, id)).status).toBe("scored");
  expect((await get(t, id)).fraud.explanation).toBeUndefined();
  vi.advanceTimersByTime(EXPLANATION_DUE_MS + 1);
  expect((await t.mutation(internal.fraud.watchdog.run, {})).explained).toBe(1);
  expect((await get(t, id)).fraud.explanationSource).toBe("template");
});

test("scoring is idempotent: a second run writes nothing", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const id = (await postPayment(t, { userId })).body.transaction.id;
  await runScheduled(t);
  const first = await get(t, id);
  expect(await t.action(internal.fraud.scoringAction.score, { paymentId: id })).toEqual({
    kind: "skipped",
  });
  expect(await t.action(internal.fraud.explaining.explain, { paymentId: id })).toEqual({
    kind: "skipped",
  });
  await runScheduled(t);
  expect(await get(t, id)).toEqual(first);
  const state = await rows(t);
  expect(state.scored).toHaveLength(1);
  expect(state.staged).toHaveLength(0);
});

test("deleting or relabelling a payment while it is being scored leaves nothing behind", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const deleted = (await postPayment(t, { userId, terminalId: "T-del" })).body.transaction.id;
  const relabelled = (await postPayment(t, { userId, terminalId: "T-lab" })).body.transaction.id;
  expect((await call(t, "DELETE", `/transactions/${deleted}`)).status).toBe(204);
  await call(t, "POST", `/transactions/${relabelled}/feedback`, { body: { label: "fraud" } });
  await runScheduled(t);

  expect((await call(t, "GET", `/transactions/${deleted}`)).status).toBe(404);
  expect(await get(t, relabelled)).toMatchObject({ status: "scored", label: "fraud" });
  const state = await rows(t);
  expect(state.staged).toHaveLength(0);
  expect(state.scored.map((p) => p.paymentId)).toEqual([relabelled]);
  // One bucket per level, each counting the one payment left, with its label.
  expect(state.terminalBuckets.map((d) => [d.terminalId, d.stats.count, d.stats.frauds])).toEqual(
    Array.from({ length: 5 }, () => ["T-lab", 1, 1]),
  );
  expect(state.customerBuckets.map((d) => d.stats.count)).toEqual([1, 1, 1, 1, 1]);
});

test("history features follow the payments: counts, averages, delayed terminal risk", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const day = 86_400_000;
  const t0 = Date.UTC(2018, 5, 1, 12);
  // Two earlier payments of the customer, one at a terminal later labelled fraud.
  const a = (await postPayment(t, { userId, amount: 10, terminalId: "T-a", timestamp: t0 })).body
    .transaction.id;
  await postPayment(t, { userId, amount: 30, terminalId: "T-a", timestamp: t0 + 2 * day });
  await call(t, "POST", `/transactions/${a}/feedback`, { body: { label: "fraud" } });
  // An hour short of 8 days later: the first payment is in the terminal's 1-day window,
  // which ends 7 days back; the second (6 days earlier) is not yet.
  const now = (
    await postPayment(t, {
      userId,
      amount: 200,
      terminalId: "T-a",
      timestamp: t0 + 8 * day - 3_600_000,
    })
  ).body.transaction.id;
  await runScheduled(t);
  const f = (await get(t, now)).fraud.features;
  expect(f.CUSTOMER_ID_NB_TX_1DAY_WINDOW).toBe(1);
  expect(f.CUSTOMER_ID_NB_TX_7DAY_WINDOW).toBe(2);
  expect(f.CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW).toBe(115);
  expect(f.CUSTOMER_ID_NB_TX_30DAY_WINDOW).toBe(3);
  expect(f.CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW).toBe(80);
  expect(f.TERMINAL_ID_NB_TX_1DAY_WINDOW).toBe(1);
  expect(f.TERMINAL_ID_RISK_1DAY_WINDOW).toBe(1);
  expect(f.TERMINAL_ID_NB_TX_30DAY_WINDOW).toBe(1);
  expect(f.TERMINAL_ID_RISK_30DAY_WINDOW).toBe(1);
});
