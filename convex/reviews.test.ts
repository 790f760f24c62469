import { expect, test, vi } from "vitest";
import { api } from "./_generated/api";
import { call, createUser, postPayment, runScheduled, setupBackend } from "./test.setup";

const REVIEW_AMOUNT = 777;
vi.mock("./ml/scorer", async (importOriginal) => {
  const original = await importOriginal<typeof import("./ml/scorer")>();
  return {
    ...original,
    assessPayment: async (...args: Parameters<typeof original.assessPayment>) => {
      const assessment = await original.assessPayment(...args);
      const decision = args[1].payment.amount === REVIEW_AMOUNT ? "review" : "allow";
      return { ...assessment, decision };
    },
  };
});

const ISSUER = "https://auth.example.com";

async function scenario() {
  const t = setupBackend();
  const userId = await createUser(t, { tokenIdentifier: `${ISSUER}|alice` });
  const paymentId = (await postPayment(t, { userId, amount: REVIEW_AMOUNT })).body.transaction.id;
  await runScheduled(t);
  const reviewId = (await call(t, "GET", `/transactions/${paymentId}`)).body.transaction.review
    .id as string;
  return {
    t,
    paymentId,
    reviewId,
    asCustomer: t.withIdentity({ issuer: ISSUER, subject: "alice" }),
    asStranger: t.withIdentity({ issuer: ISSUER, subject: "mallory" }),
    asAnalyst: t.withIdentity({ issuer: ISSUER, subject: "eve", role: "analyst" }),
  };
}

const firstPage = { paginationOpts: { numItems: 10, cursor: null } };

test("the analyst functions refuse every identity but an analyst", async () => {
  const { t, reviewId, asCustomer, asStranger } = await scenario();
  await expect(t.query(api.reviews.queue, firstPage)).rejects.toThrow(/Sign in/);
  await expect(
    t.mutation(api.reviews.resolve, { id: reviewId, outcome: "approve" }),
  ).rejects.toThrow(/Sign in/);
  for (const who of [asCustomer, asStranger]) {
    await expect(who.query(api.reviews.queue, firstPage)).rejects.toThrow(/Only analysts/);
    await expect(who.query(api.reviews.get, { id: reviewId })).rejects.toThrow(/Only analysts/);
    await expect(
      who.mutation(api.reviews.assign, { id: reviewId, assignee: "me" }),
    ).rejects.toThrow(/Only analysts/);
    await expect(
      who.mutation(api.reviews.resolve, { id: reviewId, outcome: "approve" }),
    ).rejects.toThrow(/Only analysts/);
  }
  // Nothing changed: still open, unassigned, and no audit event beyond the opening.
  const review = (await call(t, "GET", `/reviews/${reviewId}`)).body.review;
  expect(review).toMatchObject({ status: "open", assignee: null });
  const actions = await t.run(async (ctx) => await ctx.db.query("auditEvents").take(100));
  expect(actions.map((e) => e.action)).toEqual(["review.opened"]);
});

test("an analyst works the queue with the same rules as the REST API", async () => {
  const { t, paymentId, reviewId, asAnalyst } = await scenario();
  const queue = await asAnalyst.query(api.reviews.queue, firstPage);
  expect(queue.page.map((r) => r.id)).toEqual([reviewId]);
  expect(queue.isDone).toBe(true);
  expect(await asAnalyst.query(api.reviews.get, { id: reviewId })).toEqual(queue.page[0]);
  expect(await asAnalyst.query(api.reviews.get, { id: "nope" })).toBeNull();

  const assigned = await asAnalyst.mutation(api.reviews.assign, { id: reviewId, assignee: "eve" });
  expect(assigned.assignee).toBe("eve");
  const resolved = await asAnalyst.mutation(api.reviews.resolve, {
    id: reviewId,
    outcome: "decline",
    note: "card testing",
  });
  const eve = { kind: "identity", tokenIdentifier: `${ISSUER}|eve` };
  expect(resolved).toMatchObject({
    status: "declined",
    outcome: "decline",
    note: "card testing",
    resolvedBy: eve,
    payment: { id: paymentId, label: "fraud", finalDecision: "block" },
  });
  await expect(
    asAnalyst.mutation(api.reviews.resolve, { id: reviewId, outcome: "approve" }),
  ).rejects.toThrow(/already declined/);
  const viaRest = await call(t, "POST", `/reviews/${reviewId}/resolve`, {
    body: { outcome: "approve" },
  });
  expect(viaRest.status).toBe(409);
  expect((await asAnalyst.query(api.reviews.queue, firstPage)).page).toEqual([]);

  const audit = (await call(t, "GET", "/audit")).body.data;
  expect(audit.map((e: { action: string }) => e.action)).toEqual([
    "payment.labeled",
    "review.resolved",
    "review.assigned",
    "review.opened",
  ]);
  expect(audit[0].actor).toEqual(eve);
  expect(audit[1].actor).toEqual(eve);
  expect(audit[3].actor).toEqual({ kind: "system", name: "scoring" });
});

test("the analyst functions check free text as the REST bodies do", async () => {
  const { t, reviewId, asAnalyst } = await scenario();
  for (const assignee of ["", "   ", "x".repeat(201)]) {
    await expect(
      asAnalyst.mutation(api.reviews.assign, { id: reviewId, assignee }),
    ).rejects.toThrow(/assignee must be 1 to 200 characters/);
  }
  await expect(
    asAnalyst.mutation(api.reviews.resolve, {
      id: reviewId,
      outcome: "approve",
      note: "n".repeat(2001),
    }),
  ).rejects.toThrow(/note must be 1 to 2000 characters/);
  const review = (await call(t, "GET", `/reviews/${reviewId}`)).body.review;
  expect(review).toMatchObject({ status: "open", assignee: null });
  await asAnalyst.mutation(api.reviews.assign, { id: reviewId, assignee: "  ada  " });
  expect((await call(t, "GET", `/reviews/${reviewId}`)).body.review.assignee).toBe("ada");
});
