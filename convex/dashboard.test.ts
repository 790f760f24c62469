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
