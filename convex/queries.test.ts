import { expect, test } from "vitest";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { promoteToScored } from "./model/payments/lifecycle";
import { call, createUser, postPayment, setupBackend, type Backend } from "./test.setup";

const ISSUER = "https://auth.example.com";

async function scenario() {
  const t = setupBackend();
  const alice = (await createUser(t, { tokenIdentifier: `${ISSUER}|alice` })) as Id<"users">;
  const bob = (await createUser(t, { tokenIdentifier: `${ISSUER}|bob` })) as Id<"users">;
  const alicePayment = (await postPayment(t, { userId: alice })).body.transaction.id as string;
  const bobPayment = (await postPayment(t, { userId: bob })).body.transaction.id as string;
  const asAlice = t.withIdentity({ issuer: ISSUER, subject: "alice" });
  const asAnalyst = t.withIdentity({ issuer: ISSUER, subject: "eve", role: "analyst" });
  const asStranger = t.withIdentity({ issuer: ISSUER, subject: "mallory" });
  return { t, alice, bob, alicePayment, bobPayment, asAlice, asAnalyst, asStranger };
}

const firstPage = { numItems: 10, cursor: null };

test("public queries need an authenticated identity", async () => {
  const { t, alice, alicePayment } = await scenario();
  await expect(t.query(api.transactions.get, { id: alicePayment })).rejects.toThrow(/Sign in/);
  await expect(t.query(api.users.get, { id: alice })).rejects.toThrow(/Sign in/);
  await expect(
    t.query(api.transactions.listForUser, { userId: alice, paginationOpts: firstPage }),
  ).rejects.toThrow(/Sign in/);
});

test("a customer sees only its own user and payments", async () => {
  const { alice, bob, alicePayment, bobPayment, asAlice, asStranger } = await scenario();
  expect(await asAlice.query(api.transactions.get, { id: alicePayment })).toMatchObject({
    id: alicePayment,
    userId: alice,
  });
  expect(await asAlice.query(api.transactions.get, { id: bobPayment })).toBeNull();
  expect(await asAlice.query(api.users.get, { id: alice })).toMatchObject({ id: alice });
  expect(await asAlice.query(api.users.get, { id: bob })).toBeNull();
  const own = await asAlice.query(api.transactions.listForUser, {
    userId: alice,
    paginationOpts: firstPage,
  });
  expect(own.page.map((p) => p.id)).toEqual([alicePayment]);
  await expect(
    asAlice.query(api.transactions.listForUser, { userId: bob, paginationOpts: firstPage }),
  ).rejects.toThrow(/only list your own/);

  // An identity linked to no user sees nothing.
  expect(await asStranger.query(api.transactions.get, { id: alicePayment })).toBeNull();
  expect(await asStranger.query(api.users.get, { id: alice })).toBeNull();
});

test("an analyst sees every customer", async () => {
  const { bob, bobPayment, asAnalyst } = await scenario();
  expect(await asAnalyst.query(api.transactions.get, { id: bobPayment })).toMatchObject({
    id: bobPayment,
  });
  expect(await asAnalyst.query(api.users.get, { id: bob })).toMatchObject({ id: bob });
  const list = await asAnalyst.query(api.transactions.listForUser, {
    userId: bob,
    paginationOpts: firstPage,
  });
  expect(list.page).toHaveLength(1);
});

/** Re-runs a query after each step, the way a subscription would deliver it. */
async function watch<T>(read: () => Promise<T>, steps: (() => Promise<unknown>)[]): Promise<T[]> {
  const results = [await read()];
  for (const step of steps) {
    await step();
    const next = await read();
    if (JSON.stringify(next) !== JSON.stringify(results[results.length - 1])) results.push(next);
  }
  return results;
}

async function score(t: Backend, paymentId: string) {
  await t.run(async (ctx) => {
    const staged = await ctx.db
      .query("tempTransactions")
      .withIndex("by_paymentId", (q) => q.eq("paymentId", paymentId))
      .unique();
    await promoteToScored(
      ctx,
      staged!,
      {
        score: 91,
        probability: 0.91,
        decision: "block",
        reasons: [],
        attributionMethod: "test",
        models: { logistic: { probability: 0.9 }, neural: { probability: 0.92 } },
        features: {},
        modelVersion: "test",
        scoredAt: Date.now(),
        latencyMs: 3,
      },
      {},
    );
  });
}

test("watched queries change when the data does", async () => {
  const { t, alice, alicePayment, asAlice } = await scenario();
  const payment = await watch(
    () => asAlice.query(api.transactions.get, { id: alicePayment }),
    [
      () => score(t, alicePayment),
      () => call(t, "PATCH", `/transactions/${alicePayment}`, { body: { productCategory: "x" } }),
      () => call(t, "GET", `/transactions/${alicePayment}`),
      () => call(t, "POST", `/transactions/${alicePayment}/feedback`, { body: { label: "fraud" } }),
      () => call(t, "DELETE", `/transactions/${alicePayment}`),
    ],
  );
  expect(payment.map((p) => (p ? [p.status, p.productCategory, p.label] : null))).toEqual([
    ["pending", null, null],
    ["scored", null, null],
    ["scored", "x", null],
    ["scored", "x", "fraud"],
    null,
  ]);

  let second = "";
  const list = await watch(
    () => asAlice.query(api.transactions.listForUser, { userId: alice, paginationOpts: firstPage }),
    [
      async () => {
        second = (await postPayment(t, { userId: alice })).body.transaction.id;
      },
      () => score(t, second),
    ],
  );
  expect(list.map((l) => l.page.map((p) => p.status))).toEqual([[], ["pending"], ["scored"]]);
});
