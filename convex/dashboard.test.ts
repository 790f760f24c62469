import type { FunctionReturnType } from "convex/server";
import { expect, test } from "vitest";
import { api } from "./_generated/api";
import { call, createUser, postPayment, runScheduled, setupBackend } from "./test.setup";

const ISSUER = "https://auth.example.com";
const firstPage = { paginationOpts: { numItems: 10, cursor: null } };

async function scenario() {
  const t = setupBackend();
  const userId = await createUser(t, { tokenIdentifier: `${ISSUER}|alice` });
  const scored = (await postPayment(t, { userId, amount: 12 })).body.transaction.id as string;
  await runScheduled(t);
  const pending = (await postPayment(t, { userId, amount: 13 })).body.transaction.id as string;
  return {
    t,
    scored,
    pending,
    asCustomer: t.withIdentity({ issuer: ISSUER, subject: "alice" }),
    asAnalyst: t.withIdentity({ issuer: ISSUER, subject: "eve", role: "analyst" }),
  };
}

test("the feed and the label mutation refuse every identity but an analyst", async () => {
  const { t, scored, asCustomer } = await scenario();
  await expect(t.query(api.transactions.feed, firstPage)).rejects.toThrow(/Sign in/);
  await expect(t.mutation(api.transactions.label, { id: scored, label: "fraud" })).rejects.toThrow(
    /Sign in/,
  );
  await expect(asCustomer.query(api.transactions.feed, firstPage)).rejects.toThrow(/Only analysts/);
  await expect(
    asCustomer.mutation(api.transactions.label, { id: scored, label: "fraud" }),
  ).rejects.toThrow(/Only analysts/);
  expect((await call(t, "GET", `/transactions/${scored}`)).body.transaction.label).toBeNull();
});

test("the feed lists what GET /transactions lists, with status and decision filters", async () => {
  const { t, scored, pending, asAnalyst } = await scenario();
  const feed = await asAnalyst.query(api.transactions.feed, firstPage);
  const rest = (await call(t, "GET", "/transactions")).body.data;
  expect(feed.page).toEqual(rest);
  expect(feed.page.map((p) => p.id).sort()).toEqual([scored, pending].sort());

  const onlyPending = await asAnalyst.query(api.transactions.feed, {
    ...firstPage,
    status: "pending",
  });
  expect(onlyPending.page.map((p) => p.id)).toEqual([pending]);
  const decision = feed.page.find((p) => p.id === scored)!.fraud!.decision;
  const byDecision = await asAnalyst.query(api.transactions.feed, { ...firstPage, decision });
  expect(byDecision.page.map((p) => p.id)).toEqual([scored]);
  const other = decision === "block" ? "allow" : "block";
  const none = await asAnalyst.query(api.transactions.feed, { ...firstPage, decision: other });
  expect(none.page).toEqual([]);
});

test("the decision filter pages through that decision's payments only, in full pages", async () => {
  const { t, asAnalyst } = await scenario();
  const rule = await call(t, "POST", "/rules", {
    body: { name: "big_blocked", expression: "payment.amount >= 5000", action: "block" },
  });
  expect(rule.status).toBe(201);
  const userId = await createUser(t);
  const blocked: string[] = [];
  // Newest first, the feed holds 3 blocks among 15 other payments, spread out.
  for (let k = 0; k < 18; k++) {
    const amount = k % 6 === 0 ? 5000 + k : 10 + k;
    const res = await postPayment(t, { userId, amount, timestamp: 1_700_000_000_000 + k * 1000 });
    if (amount >= 5000) blocked.push(res.body.transaction.id);
  }
  await runScheduled(t);
  const pages: string[][] = [];
  let cursor: string | null = null;
  for (let n = 0; n < 5; n++) {
    const result: FunctionReturnType<typeof api.transactions.feed> = await asAnalyst.query(
      api.transactions.feed,
      {
        decision: "block",
        paginationOpts: { numItems: 2, cursor },
      },
    );
    pages.push(result.page.map((p) => p.id));
    for (const p of result.page) expect(p.fraud?.decision).toBe("block");
    if (result.isDone) break;
    cursor = result.continueCursor;
  }
  // Full pages of blocks (not pages of any payment, filtered), newest first.
  expect(pages[0]).toEqual([blocked[2], blocked[1]]);
  expect(pages.flat()).toEqual([...blocked].reverse());
  const pendingBlocks = await asAnalyst.query(api.transactions.feed, {
    ...firstPage,
    status: "pending",
    decision: "block",
  });
  expect(pendingBlocks.page).toEqual([]);
});

test("an analyst labels a payment as POST /feedback does, as the audit actor", async () => {
  const { t, scored, asAnalyst } = await scenario();
  const labeled = await asAnalyst.mutation(api.transactions.label, {
    id: scored,
    label: "fraud",
  });
  expect(labeled).toMatchObject({ id: scored, label: "fraud" });
  expect((await call(t, "GET", `/transactions/${scored}`)).body.transaction.label).toBe("fraud");
  const audit = (await call(t, "GET", "/audit")).body.data;
  expect(audit[0]).toMatchObject({
    action: "payment.labeled",
    actor: { kind: "identity", tokenIdentifier: `${ISSUER}|eve` },
    before: { label: null },
    after: { label: "fraud" },
  });
  await expect(
    asAnalyst.mutation(api.transactions.label, { id: "txn_nope", label: "fraud" }),
  ).rejects.toThrow(/not found/);
});
