import { expect, test, vi } from "vitest";
import { internal } from "../_generated/api";
import { INLINE_HANDOVER_MS, type ScoringOutcome } from "../fraud/scoring";
import {
  call,
  createUser,
  postPayment,
  runScheduled,
  setupBackend,
  type Backend,
} from "../test.setup";

/**
 * `Prefer: wait=N`: the decision in the request when it is ready within N seconds. A held
 * scoring (the mock below) stands for one slower than the caller's wait.
 */
const scoring = vi.hoisted(() => ({ hold: false, started: 0 }));

vi.mock("../fraud/scoringAction", async (importOriginal) => {
  const original = await importOriginal<typeof import("../fraud/scoringAction")>();
  const { internalActionGeneric } = await import("convex/server");
  const { v } = await import("convex/values");
  const { scoringOutcome } = await import("../fraud/scoring");
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
        scoring.started += 1;
        if (scoring.hold) await new Promise((resolve) => setTimeout(resolve, 60_000));
        return await handler(ctx, args);
      },
    }),
  };
});

async function rows(t: Backend) {
  return await t.run(async (ctx) => ({
    staged: await ctx.db.query("tempTransactions").take(100),
    scored: await ctx.db.query("transactions").take(100),
  }));
}

function prefer(t: Backend, userId: string, value: string, extra: Record<string, string> = {}) {
  return postPayment(t, { userId, amount: 12 }, { Prefer: value, ...extra });
}

test("Prefer: wait=N answers 201 with the decision, and the pool's job does not score it again", async () => {
  vi.useFakeTimers();
  scoring.hold = false;
  const t = setupBackend();
  const userId = await createUser(t);
  const res = await prefer(t, userId, "wait=5");
  expect(res.status).toBe(201);
  expect(res.headers.get("preference-applied")).toBe("wait=5");
  expect(res.body.transaction.status).toBe("scored");
  expect(res.body.transaction.fraud.decision).toMatch(/^(allow|review|block)$/);
  const scoredAt = res.body.transaction.fraud.scoredAt as number;

  await runScheduled(t);
  const after = await rows(t);
  expect(after.staged).toEqual([]);
  expect(after.scored).toHaveLength(1);
  expect(after.scored[0].fraud?.scoredAt).toBe(scoredAt);
  const read = await call(t, "GET", `/transactions/${res.body.transaction.id}`);
  expect(read.body.transaction.fraud.scoredAt).toBe(scoredAt);
});

test("a decision made in the request costs the pool nothing: the payment is scored by one run", async () => {
  vi.useFakeTimers();
  scoring.hold = false;
  scoring.started = 0;
  const t = setupBackend();
  const userId = await createUser(t);
  const res = await prefer(t, userId, "wait=5");
  expect(res.status).toBe(201);
  await vi.advanceTimersByTimeAsync(INLINE_HANDOVER_MS * 5);
  await runScheduled(t);
  expect(scoring.started).toBe(1);
  // The hand-over was canceled, not merely skipped.
  const handovers = await t.run(async (ctx) =>
    (await ctx.db.system.query("_scheduled_functions").take(100)).filter((f) =>
      f.name.includes("handOver"),
    ),
  );
  expect(handovers.map((f) => f.state.kind)).toEqual(["canceled"]);
});

test("a request that dies before deciding leaves its payment to the pool after the hand-over delay", async () => {
  vi.useFakeTimers();
  scoring.hold = false;
  scoring.started = 0;
  const t = setupBackend();
  const userId = await createUser(t);
  // What the request had done when it died: staged the payment for an inline decision.
  const { transaction } = await t.mutation(internal.transactions.createForApi, {
    input: { userId, amount: 12, currency: "EUR", terminalId: "T1" },
    idempotency: null,
    decideInline: true,
  });
  expect(transaction.status).toBe("pending");
  expect((await rows(t)).staged[0].scoringJob).toBeUndefined();
  await vi.advanceTimersByTimeAsync(INLINE_HANDOVER_MS);
  await runScheduled(t);
  const after = await rows(t);
  expect(after.staged).toEqual([]);
  expect(after.scored.map((p) => p.paymentId)).toEqual([transaction.id]);
  expect(scoring.started).toBe(1);
});

test("without the preference, or with others only, the answer is 202 pending", async () => {
  vi.useFakeTimers();
  scoring.hold = false;
  const t = setupBackend();
  const userId = await createUser(t);
  const variants: Record<string, string>[] = [
    {},
    { Prefer: "respond-async" },
    { Prefer: "return=minimal" },
  ];
  for (const headers of variants) {
    const res = await postPayment(t, { userId }, headers);
    expect(res.status).toBe(202);
    expect(res.headers.get("preference-applied")).toBeNull();
    expect(res.body.transaction.status).toBe("pending");
  }
  const combined = await prefer(t, userId, 'respond-async, wait="3"');
  expect(combined.status).toBe(201);
  expect(combined.headers.get("preference-applied")).toBe("wait=3");
});

test("a wait outside 1-10 whole seconds is a 400 and stores nothing", async () => {
  vi.useFakeTimers();
  const t = setupBackend();
  const userId = await createUser(t);
  for (const value of ["wait=0", "wait=11", "wait=2.5", "wait=abc", "wait=", "wait=-1"]) {
    const res = await prefer(t, userId, value);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_header");
    expect(res.body.error.details[0].field).toBe("Prefer");
  }
  expect(await rows(t)).toEqual({ staged: [], scored: [] });
});

test("a decision slower than the wait answers 202 pending, and the payment is scored once later", async () => {
  vi.useFakeTimers();
  scoring.hold = true;
  scoring.started = 0;
  const t = setupBackend();
  const userId = await createUser(t);
  const pending = prefer(t, userId, "wait=2");
  // Let the request reach its scoring, then let the caller's two seconds pass.
  await vi.waitFor(() => expect(scoring.started).toBe(1));
  await vi.advanceTimersByTimeAsync(2_000);
  const res = await pending;
  expect(res.status).toBe(202);
  expect(res.headers.get("preference-applied")).toBeNull();
  expect(res.body.transaction.status).toBe("pending");
  // Handed over when the request gave up, not when the scheduled hand-over runs.
  expect((await rows(t)).staged[0].scoringJob).toBeDefined();

  await vi.advanceTimersByTimeAsync(60_000);
  await runScheduled(t);
  const after = await rows(t);
  expect(after.staged).toEqual([]);
  expect(after.scored).toHaveLength(1);
  expect(after.scored[0].paymentId).toBe(res.body.transaction.id);
});

test("a replayed request with the preference answers the stored decision", async () => {
  vi.useFakeTimers();
  scoring.hold = false;
  const t = setupBackend();
  const userId = await createUser(t);
  const first = await prefer(t, userId, "wait=5", { "Idempotency-Key": "k1" });
  const again = await prefer(t, userId, "wait=5", { "Idempotency-Key": "k1" });
  expect(again.status).toBe(201);
  expect(again.headers.get("idempotent-replayed")).toBe("true");
  expect(again.body.transaction).toEqual(first.body.transaction);
});

test("an inline decision runs the rules and opens the review, as a background one does", async () => {
  vi.useFakeTimers();
  scoring.hold = false;
  const t = setupBackend();
  const userId = await createUser(t);
  const rule = await call(t, "POST", "/rules", {
    body: { name: "look_at_all", expression: "payment.amount > 0", action: "review" },
  });
  expect(rule.status).toBe(201);
  const res = await prefer(t, userId, "wait=5");
  expect(res.status).toBe(201);
  expect(res.body.transaction.fraud.decision).toBe("review");
  expect(res.body.transaction.fraud.decisionSource).toBe("rule");
  const queue = await call(t, "GET", "/reviews?status=open");
  expect(queue.body.data.map((r: { paymentId: string }) => r.paymentId)).toEqual([
    res.body.transaction.id,
  ]);
  await runScheduled(t);
  expect((await call(t, "GET", "/reviews?status=open")).body.data).toHaveLength(1);
});
