import { expect, test, vi } from "vitest";
import { internal } from "../_generated/api";
import {
  call,
  createUser,
  postPayment,
  runScheduled,
  setupBackend,
  type Backend,
} from "../test.setup";

/** Payments of this amount are decided `review`, as a rule or the model would decide them. */
const REVIEW_AMOUNT = 777;
vi.mock("../ml/scorer", async (importOriginal) => {
  const original = await importOriginal<typeof import("../ml/scorer")>();
  return {
    ...original,
    assessPayment: async (...args: Parameters<typeof original.assessPayment>) => {
      const assessment = await original.assessPayment(...args);
      const decision = args[1].payment.amount === REVIEW_AMOUNT ? "review" : "allow";
      return { ...assessment, decision };
    },
  };
});

async function reviewed(t: Backend, fields: Record<string, unknown> = {}) {
  const userId = (fields.userId as string | undefined) ?? (await createUser(t));
  const id = (await postPayment(t, { userId, amount: REVIEW_AMOUNT, ...fields })).body.transaction
    .id as string;
  await runScheduled(t);
  const tx = (await call(t, "GET", `/transactions/${id}`)).body.transaction;
  return { id, userId, reviewId: tx.review?.id as string, tx };
}

async function auditActions(t: Backend) {
  const rows = await t.run(async (ctx) => await ctx.db.query("auditEvents").take(1000));
  return rows.map((e) => e.action).sort();
}

test("a review decision opens exactly one review, also when scoring is retried", async () => {
  const t = setupBackend();
  const { id, userId, reviewId, tx } = await reviewed(t);
  expect(tx).toMatchObject({
    status: "scored",
    fraud: { decision: "review" },
    review: { id: reviewId, status: "open", outcome: null },
    finalDecision: null,
    label: null,
  });
  const allowed = (await postPayment(t, { userId, amount: 20 })).body.transaction.id;
  await runScheduled(t);
  expect((await call(t, "GET", `/transactions/${allowed}`)).body.transaction).toMatchObject({
    fraud: { decision: "allow" },
    review: null,
    finalDecision: "allow",
  });

  // A duplicate job and a duplicate onComplete record nothing twice.
  expect(await t.action(internal.fraud.scoringAction.score, { paymentId: id })).toEqual({
    kind: "skipped",
  });
  const { score, probability, decision, reasons, attributionMethod, models, features } = tx.fraud;
  const assessment = { score, probability, decision, reasons, attributionMethod, models, features };
  const outcome = {
    kind: "scored" as const,
    assessment: { ...assessment, modelVersion: tx.fraud.modelVersion as string },
    scoredAt: Date.now(),
  };
  await t.mutation(internal.fraud.scoring.recordOutcome, {
    workId: "work-duplicate" as never,
    context: { paymentId: id },
    result: { kind: "success", returnValue: outcome },
  });
  await runScheduled(t);

  const queue = await call(t, "GET", "/reviews");
  expect(queue.status).toBe(200);
  expect(queue.body.data).toHaveLength(1);
  expect(queue.body.data[0]).toMatchObject({
    id: reviewId,
    paymentId: id,
    status: "open",
    assignee: null,
    resolvedAt: null,
    resolvedBy: null,
    outcome: null,
    note: null,
    payment: { id, status: "scored", review: { id: reviewId, status: "open" } },
  });
  const one = await call(t, "GET", `/reviews/${reviewId}`);
  expect(one.body).toEqual({ review: queue.body.data[0] });
  expect(await auditActions(t)).toEqual(["review.opened"]);
});

test("two concurrent resolves: one 200, one 409 review_closed; approve sets allow and legitimate", async () => {
  const t = setupBackend({ API_KEYS: "desk:desk-key,test-key" });
  const { id, reviewId } = await reviewed(t);
  const resolve = () =>
    call(t, "POST", `/reviews/${reviewId}/resolve`, {
      body: { outcome: "approve", note: "known customer" },
      key: "desk-key",
    });
  const results = await Promise.all([resolve(), resolve()]);
  expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
  const closed = results.find((r) => r.status === 409)!;
  expect(closed.body.error.code).toBe("review_closed");
  const ok = results.find((r) => r.status === 200)!;
  expect(ok.body.review).toMatchObject({
    status: "approved",
    outcome: "approve",
    note: "known customer",
    resolvedBy: { kind: "apiKey", name: "desk" },
    payment: { id, label: "legitimate", finalDecision: "allow" },
  });
  expect(typeof ok.body.review.resolvedAt).toBe("number");
  expect((await call(t, "GET", `/transactions/${id}`)).body.transaction).toMatchObject({
    label: "legitimate",
    finalDecision: "allow",
    review: { id: reviewId, status: "approved", outcome: "approve" },
  });
  const reassign = await call(t, "POST", `/reviews/${reviewId}/assign`, {
    body: { assignee: "bob" },
  });
  expect(reassign.status).toBe(409);
  expect(reassign.body.error.code).toBe("review_closed");
  expect(await auditActions(t)).toEqual(["payment.labeled", "review.opened", "review.resolved"]);
});

test("decline blocks, labels fraud and changes the terminal's later features as feedback does", async () => {
  const t = setupBackend();
  const day = 86_400_000;
  const t0 = Date.UTC(2018, 5, 1, 12);
  const userId = await createUser(t);
  // The same story at two terminals: one labelled by a declined review, one by feedback.
  const { reviewId } = await reviewed(t, { userId, terminalId: "T-rev", timestamp: t0 });
  const viaFeedback = (
    await postPayment(t, { userId, amount: REVIEW_AMOUNT, terminalId: "T-fb", timestamp: t0 })
  ).body.transaction.id;
  await runScheduled(t);
  const declined = await call(t, "POST", `/reviews/${reviewId}/resolve`, {
    body: { outcome: "decline" },
  });
  expect(declined.status).toBe(200);
  expect(declined.body.review.payment).toMatchObject({ label: "fraud", finalDecision: "block" });
  await call(t, "POST", `/transactions/${viaFeedback}/feedback`, { body: { label: "fraud" } });

  const later = async (terminalId: string) => {
    const res = await postPayment(t, {
      userId,
      amount: 20,
      terminalId,
      timestamp: t0 + 8 * day - 3_600_000,
    });
    await runScheduled(t);
    const id = res.body.transaction.id;
    return (await call(t, "GET", `/transactions/${id}`)).body.transaction.fraud.features;
  };
  const afterReview = await later("T-rev");
  const afterFeedback = await later("T-fb");
  expect(afterReview.TERMINAL_ID_RISK_1DAY_WINDOW).toBe(1);
  const terminal = (f: Record<string, number>) =>
    Object.entries(f).filter(([name]) => name.startsWith("TERMINAL_ID_"));
  expect(terminal(afterReview).length).toBeGreaterThan(5);
  expect(terminal(afterReview)).toEqual(terminal(afterFeedback));
});

test("a label already there is kept; assign and reassign while open; bad input is 4xx", async () => {
  const t = setupBackend();
  const { id, reviewId } = await reviewed(t);
  await call(t, "POST", `/transactions/${id}/feedback`, { body: { label: "fraud" } });
  for (const assignee of ["alice", "bob"]) {
    const res = await call(t, "POST", `/reviews/${reviewId}/assign`, { body: { assignee } });
    expect(res.status).toBe(200);
    expect(res.body.review.assignee).toBe(assignee);
  }
  expect(
    (await call(t, "POST", `/reviews/${reviewId}/assign`, { body: { assignee: "" } })).status,
  ).toBe(422);
  expect(
    (await call(t, "POST", `/reviews/${reviewId}/resolve`, { body: { outcome: "maybe" } })).status,
  ).toBe(422);
  for (const bad of ["nope", id, "reviews"]) {
    expect((await call(t, "GET", `/reviews/${bad}`)).status).toBe(404);
    expect(
      (await call(t, "POST", `/reviews/${bad}/resolve`, { body: { outcome: "approve" } })).status,
    ).toBe(404);
  }
  const approved = await call(t, "POST", `/reviews/${reviewId}/resolve`, {
    body: { outcome: "approve" },
  });
  expect(approved.body.review.payment).toMatchObject({ label: "fraud", finalDecision: "allow" });
  expect(await auditActions(t)).toEqual([
    "payment.labeled",
    "review.assigned",
    "review.assigned",
    "review.opened",
    "review.resolved",
  ]);
  const history = await call(t, "GET", `/audit?targetType=review&targetId=${reviewId}`);
  expect(history.body.data.map((e: { action: string }) => e.action)).toEqual([
    "review.resolved",
    "review.assigned",
    "review.assigned",
    "review.opened",
  ]);
  expect(history.body.data[1]).toMatchObject({
    before: { assignee: "alice" },
    after: { assignee: "bob" },
  });
});

test("the queue is oldest first, resolved lists newest first, in pages", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const reviews: string[] = [];
  for (let i = 0; i < 4; i++) {
    reviews.push((await reviewed(t, { userId })).reviewId);
    vi.advanceTimersByTime(1_000);
  }
  const pages: string[] = [];
  let cursor: string | null = null;
  do {
    const suffix: string = cursor ? `&cursor=${cursor}` : "";
    const page = await call(t, "GET", `/reviews?status=open&limit=3${suffix}`);
    pages.push(...page.body.data.map((r: { id: string }) => r.id));
    cursor = page.body.nextCursor;
  } while (cursor !== null);
  expect(pages).toEqual(reviews);

  for (const id of [reviews[2], reviews[0]]) {
    await call(t, "POST", `/reviews/${id}/resolve`, { body: { outcome: "approve" } });
    vi.advanceTimersByTime(1_000);
  }
  await call(t, "POST", `/reviews/${reviews[1]}/resolve`, { body: { outcome: "decline" } });
  const ids = async (status: string) =>
    (await call(t, "GET", `/reviews?status=${status}`)).body.data.map((r: { id: string }) => r.id);
  expect(await ids("approved")).toEqual([reviews[0], reviews[2]]);
  expect(await ids("declined")).toEqual([reviews[1]]);
  expect(await ids("open")).toEqual([reviews[3]]);
  expect((await call(t, "GET", "/reviews?status=closed")).status).toBe(400);
  expect((await call(t, "GET", "/reviews?cursor=abc")).status).toBe(400);
});

test("a review outlives its deleted payment: shown with payment null, resolvable, no label", async () => {
  const t = setupBackend();
  const { id, reviewId } = await reviewed(t);
  expect((await call(t, "DELETE", `/transactions/${id}`)).status).toBe(204);
  expect((await call(t, "GET", `/reviews/${reviewId}`)).body.review).toMatchObject({
    paymentId: id,
    status: "open",
    payment: null,
  });
  const resolved = await call(t, "POST", `/reviews/${reviewId}/resolve`, {
    body: { outcome: "decline" },
  });
  expect(resolved.status).toBe(200);
  expect(resolved.body.review).toMatchObject({ status: "declined", payment: null });
  expect(await auditActions(t)).toEqual(["review.opened", "review.resolved"]);
});
