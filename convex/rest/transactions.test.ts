import { expect, test } from "vitest";
import { promoteToScored } from "../model/payments/lifecycle";
import {
  call,
  createUser,
  OTHER_API_KEY,
  postPayment,
  setupBackend,
  storedFraud,
  type Backend,
} from "../test.setup";

const fraud = storedFraud({ score: 80, probability: 0.8, decision: "block" });

/** Moves a pending payment to `transactions` with the same helper the scorer uses. */
async function markScored(t: Backend, paymentId: string) {
  await t.run(async (ctx) => {
    const staged = await ctx.db
      .query("tempTransactions")
      .withIndex("by_paymentId", (q) => q.eq("paymentId", paymentId))
      .unique();
    await promoteToScored(ctx, staged!, fraud, {});
  });
}

async function countRows(t: Backend) {
  return await t.run(async (ctx) => ({
    staged: (await ctx.db.query("tempTransactions").take(10_000)).length,
    scored: (await ctx.db.query("transactions").take(10_000)).length,
  }));
}

test("a posted payment is pending with defaults applied, and readable by id", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const before = Date.now();
  const res = await postPayment(t, {
    userId,
    amount: 99.95,
    terminalId: "TERM-9",
    productCategory: "electronics",
    customerLocation: "Paris, FR",
    metadata: { channel: "web", attempt: 1, vip: false, note: null },
  });
  expect(res.status).toBe(202);
  const tx = res.body.transaction;
  expect(tx).toMatchObject({
    userId,
    amount: 99.95,
    currency: "USD",
    terminalId: "TERM-9",
    status: "pending",
    fraud: null,
    label: null,
    productCategory: "electronics",
    metadata: { channel: "web", attempt: 1, vip: false, note: null },
  });
  expect(tx.id).toMatch(/^pay_[0-9a-z]{20}$/);
  expect(tx.timestamp).toBeGreaterThanOrEqual(before);
  expect(res.headers.get("location")).toBe(`/api/v1/transactions/${tx.id}`);
  expect((await call(t, "GET", `/transactions/${tx.id}`)).body).toEqual({ transaction: tx });
});

test("the public id is the same before and after scoring", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const id = (await postPayment(t, { userId, timestamp: Date.UTC(2018, 3, 1) })).body.transaction
    .id;
  await markScored(t, id);
  const scored = await call(t, "GET", `/transactions/${id}`);
  expect(scored.status).toBe(200);
  expect(scored.body.transaction).toMatchObject({ id, status: "scored", fraud });
  expect(scored.body.transaction.timestamp).toBe(Date.UTC(2018, 3, 1));
  expect(await countRows(t)).toEqual({ staged: 0, scored: 1 });
});

test("only descriptive fields can change; the rest is immutable", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const id = (await postPayment(t, { userId })).body.transaction.id;
  const ok = await call(t, "PATCH", `/transactions/${id}`, {
    body: { productCategory: "books", metadata: { gift: true } },
  });
  expect(ok.status).toBe(200);
  expect(ok.body.transaction).toMatchObject({ productCategory: "books", metadata: { gift: true } });

  const immutable = await call(t, "PATCH", `/transactions/${id}`, {
    body: { amount: 1, terminalId: "X", productCategory: "toys" },
  });
  expect(immutable.status).toBe(422);
  expect(immutable.body.error.code).toBe("immutable_field");
  expect(immutable.body.error.details).toEqual([
    { field: "amount", message: "is immutable" },
    { field: "terminalId", message: "is immutable" },
  ]);
  // Nothing changed, not even the allowed field sent alongside.
  const after = await call(t, "GET", `/transactions/${id}`);
  expect(after.body.transaction.productCategory).toBe("books");
  expect(after.body.transaction.amount).toBe(42.5);

  await markScored(t, id);
  const scoredPatch = await call(t, "PATCH", `/transactions/${id}`, {
    body: { customerLocation: "Lyon" },
  });
  expect(scoredPatch.body.transaction).toMatchObject({
    status: "scored",
    customerLocation: "Lyon",
  });
});

test("feedback labels a payment in either table; relabelling overwrites", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const id = (await postPayment(t, { userId })).body.transaction.id;
  const labelled = await call(t, "POST", `/transactions/${id}/feedback`, {
    body: { label: "fraud" },
  });
  expect(labelled.status).toBe(200);
  expect(labelled.body.transaction.label).toBe("fraud");
  expect(typeof labelled.body.transaction.labeledAt).toBe("number");

  await markScored(t, id);
  const relabelled = await call(t, "POST", `/transactions/${id}/feedback`, {
    body: { label: "legitimate" },
  });
  expect(relabelled.body.transaction).toMatchObject({ label: "legitimate", status: "scored" });

  const bad = await call(t, "POST", `/transactions/${id}/feedback`, { body: { label: "maybe" } });
  expect(bad.status).toBe(422);
  expect(bad.body.error.details[0].field).toBe("label");
  expect(
    (
      await call(t, "POST", `/transactions/pay_00000000000000000000/feedback`, {
        body: { label: "fraud" },
      })
    ).status,
  ).toBe(404);
});

test("delete removes a payment from whichever table holds it", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const pending = (await postPayment(t, { userId })).body.transaction.id;
  const scored = (await postPayment(t, { userId })).body.transaction.id;
  await markScored(t, scored);
  expect((await call(t, "DELETE", `/transactions/${pending}`)).status).toBe(204);
  expect((await call(t, "DELETE", `/transactions/${scored}`)).status).toBe(204);
  expect((await call(t, "DELETE", `/transactions/${scored}`)).status).toBe(404);
  expect((await call(t, "GET", `/transactions/${scored}`)).status).toBe(404);
  expect(await countRows(t)).toEqual({ staged: 0, scored: 0 });
});

test("unknown users and malformed payments are rejected without writing", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const unknown = await postPayment(t, { userId: "42users" });
  expect(unknown.status).toBe(422);
  expect(unknown.body.error).toMatchObject({
    code: "user_not_found",
    details: [{ field: "userId" }],
  });
  const deletedUser = await createUser(t);
  await call(t, "DELETE", `/users/${deletedUser}`);
  expect((await postPayment(t, { userId: deletedUser })).status).toBe(422);

  const invalid = await postPayment(t, {
    userId,
    amount: -5,
    currency: "usd",
    timestamp: 1_000,
    metadata: { nested: { no: true } },
    extra: 1,
  });
  expect(invalid.status).toBe(422);
  const fields = invalid.body.error.details.map((d: { field: string }) => d.field).sort();
  expect(fields).toEqual(["amount", "currency", "extra", "metadata.nested", "timestamp"]);
  expect(await countRows(t)).toEqual({ staged: 0, scored: 0 });
});

test("an Idempotency-Key replays the first payment; another body is a 409", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const headers = { "Idempotency-Key": "order-77" };
  const first = await postPayment(t, { userId, amount: 10 }, headers);
  expect(first.status).toBe(202);
  // Same body with keys in another order is the same request.
  const again = await call(t, "POST", "/transactions", {
    rawBody: JSON.stringify({ terminalId: "T1", amount: 10, userId }),
    headers,
  });
  expect(again.status).toBe(202);
  expect(again.body.transaction.id).toBe(first.body.transaction.id);
  expect(again.headers.get("idempotent-replayed")).toBe("true");

  const conflict = await postPayment(t, { userId, amount: 11 }, headers);
  expect(conflict.status).toBe(409);
  expect(conflict.body.error.code).toBe("idempotency_conflict");

  // After scoring the key still finds the payment.
  await markScored(t, first.body.transaction.id);
  const afterScoring = await postPayment(t, { userId, amount: 10 }, headers);
  expect(afterScoring.body.transaction).toMatchObject({
    id: first.body.transaction.id,
    status: "scored",
  });

  // Keys are scoped per API key.
  const otherClient = await call(t, "POST", "/transactions", {
    body: { userId, amount: 10, terminalId: "T1" },
    headers,
    key: OTHER_API_KEY,
  });
  expect(otherClient.body.transaction.id).not.toBe(first.body.transaction.id);
  expect(await countRows(t)).toEqual({ staged: 1, scored: 1 });

  const badKey = await postPayment(t, { userId }, { "Idempotency-Key": "with space" });
  expect(badKey.status).toBe(400);
});

test("two concurrent POSTs with one Idempotency-Key create one payment", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const headers = { "Idempotency-Key": "concurrent-1" };
  const responses = await Promise.all(
    Array.from({ length: 8 }, () => postPayment(t, { userId, amount: 5 }, headers)),
  );
  expect(new Set(responses.map((r) => r.status))).toEqual(new Set([202]));
  expect(new Set(responses.map((r) => r.body.transaction.id)).size).toBe(1);
  expect(await countRows(t)).toEqual({ staged: 1, scored: 0 });
});

test("lists page newest first across both tables, stable while payments move", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const otherUser = await createUser(t);
  const base = Date.UTC(2018, 6, 1);
  const ids: string[] = [];
  for (let i = 0; i < 25; i++) {
    // Pairs of equal timestamps exercise the tie-break on the payment id.
    const res = await postPayment(t, { userId, timestamp: base + Math.floor(i / 2) * 1000 });
    ids.push(res.body.transaction.id);
  }
  await postPayment(t, { userId: otherUser, timestamp: base });
  // Score some before listing.
  for (const id of ids.slice(0, 10)) await markScored(t, id);

  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: string = cursor ? `?limit=7&cursor=${cursor}` : "?limit=7";
    const page = await call(t, "GET", `/users/${userId}/transactions${query}`);
    expect(page.status).toBe(200);
    expect(page.body.data.length).toBeLessThanOrEqual(7);
    seen.push(...page.body.data.map((p: { id: string }) => p.id));
    cursor = page.body.nextCursor;
    pages += 1;
    // Between pages, payments move from tempTransactions to transactions.
    for (const id of ids.slice(10 + (pages - 1) * 4, 10 + pages * 4)) await markScored(t, id);
  } while (cursor !== null);

  expect(new Set(seen).size).toBe(seen.length);
  expect(new Set(seen)).toEqual(new Set(ids));
  const all = await call(t, "GET", `/users/${userId}/transactions?limit=200`);
  const order = all.body.data.map((p: { timestamp: number; id: string }) => [p.timestamp, p.id]);
  const sorted = [...order].sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : -1));
  expect(order).toEqual(sorted);
});

test("GET /transactions filters by status and user", async () => {
  const t = setupBackend();
  const a = await createUser(t);
  const b = await createUser(t);
  const a1 = (await postPayment(t, { userId: a })).body.transaction.id;
  const a2 = (await postPayment(t, { userId: a })).body.transaction.id;
  const b1 = (await postPayment(t, { userId: b })).body.transaction.id;
  await markScored(t, a2);
  const ids = async (query: string) =>
    (await call(t, "GET", `/transactions${query}`)).body.data
      .map((p: { id: string }) => p.id)
      .sort();
  expect(await ids("")).toEqual([a1, a2, b1].sort());
  expect(await ids("?status=pending")).toEqual([a1, b1].sort());
  expect(await ids("?status=scored")).toEqual([a2]);
  expect(await ids("?status=failed")).toEqual([]);
  expect(await ids(`?userId=${a}`)).toEqual([a1, a2].sort());
  expect(await ids(`?userId=${a}&status=pending`)).toEqual([a1]);
  expect(await ids(`?userId=${b}&status=scored`)).toEqual([]);
  expect(await ids("?userId=nobody")).toEqual([]);

  const defaults = await call(t, "GET", "/transactions");
  expect(defaults.body.nextCursor).toBeNull();
  for (const bad of [
    "?limit=0",
    "?limit=201",
    "?limit=abc",
    "?status=done",
    "?cursor=%%%",
    "?foo=1",
    "?limit=1&limit=2",
    "?cursor=eyJhIjoxfQ",
  ]) {
    const res = await call(t, "GET", `/transactions${bad}`);
    expect(res.status, bad).toBe(400);
    expect(res.body.error.code).toMatch(/^invalid_(query|cursor)$/);
  }
});
