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
import { FEATURE_NAMES } from "./features";
import { templateExplanation } from "./explanation";
import { MAX_SCORING_ATTEMPTS } from "./pipeline";

// A seam for the retry tests: lets a test make the models throw, without any production flag.
const faults = vi.hoisted(() => ({ failScoring: 0 }));
vi.mock("./network", async (importOriginal) => {
  const original = await importOriginal<typeof import("./network")>();
  return {
    ...original,
    scoreFeatureVector: async (...args: Parameters<typeof original.scoreFeatureVector>) => {
      if (faults.failScoring > 0) {
        faults.failScoring -= 1;
        throw new Error("model exploded");
      }
      return await original.scoreFeatureVector(...args);
    },
  };
});

beforeEach(() => {
  vi.useFakeTimers();
  faults.failScoring = 0;
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

async function rows(t: Backend) {
  return await t.run(async (ctx) => ({
    staged: await ctx.db.query("tempTransactions").take(100),
    scored: await ctx.db.query("transactions").take(100),
    customerDays: await ctx.db.query("customerDays").take(100),
    terminalDays: await ctx.db.query("terminalDays").take(100),
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

test("a subscriber sees pending, then the decision, then the explanation", async () => {
  const t = setupBackend();
  const userId = await createUser(t, { tokenIdentifier: "https://auth.example.com|ada" });
  const asCustomer = t.withIdentity({ issuer: "https://auth.example.com", subject: "ada" });
  const id = (await postPayment(t, { userId })).body.transaction.id;

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
  for (let step = 0; step < 4; step++) {
    await stepScheduled(t);
    await observe();
  }
  expect(seen).toHaveLength(3);
  expect(seen[0]).toEqual({ status: "pending", decision: null, explained: false });
  expect(seen[1]).toMatchObject({ status: "scored", explained: false });
  expect(seen[2]).toMatchObject({ status: "scored", explained: true });
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

  faults.failScoring = MAX_SCORING_ATTEMPTS;
  const failed = (await postPayment(t, { userId })).body.transaction.id;
  await runScheduled(t);
  const tx = await get(t, failed);
  expect(tx.status).toBe("failed");
  expect(tx.error).toEqual({ code: "scoring_error", message: "model exploded" });
  const list = await call(t, "GET", "/transactions?status=failed");
  expect(list.body.data.map((p: { id: string }) => p.id)).toEqual([failed]);
  // The sweeper leaves failed payments alone.
  expect(await t.mutation(internal.fraud.pipeline.sweep, {})).toEqual({
    rescheduled: 0,
    failed: 0,
    explained: 0,
  });
});

/** Drops every scheduled function that has not run, as if the scheduler lost them. */
async function dropScheduledWork(t: Backend) {
  await t.run(async (ctx) => {
    const jobs = await ctx.db.system.query("_scheduled_functions").take(1000);
    for (const job of jobs) {
      if (job.state.kind === "pending") await ctx.scheduler.cancel(job._id);
    }
  });
}

test("the sweeper re-schedules payments whose scoring went quiet, then fails them", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const id = (await postPayment(t, { userId })).body.transaction.id;
  await dropScheduledWork(t);
  await runScheduled(t);
  expect((await get(t, id)).status).toBe("pending");

  // Not yet stuck: nothing to do.
  expect((await t.mutation(internal.fraud.pipeline.sweep, {})).rescheduled).toBe(0);
  vi.advanceTimersByTime(61_000);
  expect((await t.mutation(internal.fraud.pipeline.sweep, {})).rescheduled).toBe(1);
  await runScheduled(t);
  expect((await get(t, id)).status).toBe("scored");

  const lost = (await postPayment(t, { userId })).body.transaction.id;
  for (let attempt = 1; attempt <= MAX_SCORING_ATTEMPTS; attempt++) {
    await dropScheduledWork(t);
    vi.advanceTimersByTime(61_000);
    await t.mutation(internal.fraud.pipeline.sweep, {});
  }
  const tx = await get(t, lost);
  expect(tx.status).toBe("failed");
  expect(tx.error.code).toBe("scoring_timeout");
});

test("the sweeper writes the template when the explanation never comes", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const id = (await postPayment(t, { userId })).body.transaction.id;
  await stepScheduled(t); // scored; the explanation is now scheduled
  await dropScheduledWork(t);
  expect((await get(t, id)).fraud.explanation).toBeUndefined();
  vi.advanceTimersByTime(61_000);
  expect((await t.mutation(internal.fraud.pipeline.sweep, {})).explained).toBe(1);
  expect((await get(t, id)).fraud.explanationSource).toBe("template");
});

test("scoring is idempotent: a second run writes nothing", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const id = (await postPayment(t, { userId })).body.transaction.id;
  await runScheduled(t);
  const first = await get(t, id);
  await t.action(internal.fraud.score.scorePayment, { paymentId: id, attempt: 1 });
  await t.action(internal.fraud.explain.explainPayment, { paymentId: id });
  await runScheduled(t);
  expect(await get(t, id)).toEqual(first);
  const state = await rows(t);
  expect(state.scored).toHaveLength(1);
  expect(state.staged).toHaveLength(0);
  expect(
    await t.mutation(internal.fraud.pipeline.recordScore, { paymentId: id, fraud: first.fraud }),
  ).toBe("already_scored");
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
  expect(state.terminalDays.map((d) => [d.terminalId, d.stats.count, d.stats.frauds])).toEqual([
    ["T-lab", 1, 1],
  ]);
  expect(state.customerDays.map((d) => d.stats.count)).toEqual([1]);
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
