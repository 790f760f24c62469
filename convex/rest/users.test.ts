import { expect, test } from "vitest";
import { call, createUser, postPayment, setupBackend } from "../test.setup";

test("creates, reads, updates and deletes a user", async () => {
  const t = setupBackend();
  const created = await call(t, "POST", "/users", {
    body: { name: "Ada Lovelace", email: "Ada@Example.COM", externalId: "cust-1" },
  });
  expect(created.status).toBe(201);
  const user = created.body.user;
  expect(user).toMatchObject({
    name: "Ada Lovelace",
    email: "ada@example.com",
    externalId: "cust-1",
    tokenIdentifier: null,
  });
  expect(typeof user.createdAt).toBe("number");
  expect(created.headers.get("location")).toBe(`/api/v1/users/${user.id}`);

  expect((await call(t, "GET", `/users/${user.id}`)).body).toEqual({ user });

  const patched = await call(t, "PATCH", `/users/${user.id}`, { body: { name: "Ada King" } });
  expect(patched.status).toBe(200);
  expect(patched.body.user).toEqual({ ...user, name: "Ada King" });

  expect((await call(t, "DELETE", `/users/${user.id}`)).status).toBe(204);
  expect((await call(t, "GET", `/users/${user.id}`)).status).toBe(404);
});

test("email and externalId are unique; email case-insensitively", async () => {
  const t = setupBackend();
  await createUser(t, { email: "same@example.com", externalId: "ext-1" });
  const dupEmail = await call(t, "POST", "/users", {
    body: { name: "B", email: "SAME@example.com" },
  });
  expect(dupEmail.status).toBe(409);
  expect(dupEmail.body.error.code).toBe("email_taken");
  const dupExternal = await call(t, "POST", "/users", {
    body: { name: "C", email: "c@example.com", externalId: "ext-1" },
  });
  expect(dupExternal.status).toBe(409);
  expect(dupExternal.body.error.code).toBe("external_id_taken");

  const other = await createUser(t, { email: "other@example.com" });
  const clash = await call(t, "PATCH", `/users/${other}`, { body: { email: "same@example.com" } });
  expect(clash.status).toBe(409);
  // Re-saving one's own email is not a clash.
  const self = await call(t, "PATCH", `/users/${other}`, { body: { email: "other@example.com" } });
  expect(self.status).toBe(200);
  await t.run(async (ctx) => {
    expect(await ctx.db.query("users").take(10)).toHaveLength(2);
  });
});

test("ids that are not user ids are 404, never 500", async () => {
  const t = setupBackend();
  const paymentUser = await createUser(t);
  const payment = await postPayment(t, { userId: paymentUser });
  for (const id of ["nope", "123", payment.body.transaction.id, "%E0%A4%A", "users"]) {
    const res = await call(t, "GET", `/users/${id}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
    expect((await call(t, "PATCH", `/users/${id}`, { body: { name: "x" } })).status).toBe(404);
    expect((await call(t, "DELETE", `/users/${id}`)).status).toBe(404);
    expect((await call(t, "GET", `/users/${id}/transactions`)).status).toBe(404);
  }
});

test("a user with payments is deleted only with cascade, in bounded batches", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const keep = await createUser(t);
  // More payments than one cascade batch, so the delete needs several mutations.
  await t.run(async (ctx) => {
    const now = Date.now();
    for (let i = 0; i < 600; i++) {
      const table = i % 2 === 0 ? "tempTransactions" : "transactions";
      const base = {
        paymentId: `pay_${String(i).padStart(20, "0")}`,
        userId: ctx.db.normalizeId("users", userId)!,
        amount: 10,
        currency: "USD",
        terminalId: "T1",
        timestamp: now - i,
        receivedAt: now,
      };
      if (table === "tempTransactions") {
        await ctx.db.insert("tempTransactions", {
          ...base,
          status: "pending",
          attempts: 0,
          retryAt: now,
        });
      } else {
        await ctx.db.insert("transactions", { ...base, status: "scored", fraud: sampleFraud() });
      }
    }
  });
  await postPayment(t, { userId: keep });

  const refused = await call(t, "DELETE", `/users/${userId}`);
  expect(refused.status).toBe(409);
  expect(refused.body.error.code).toBe("user_has_payments");

  expect((await call(t, "DELETE", `/users/${userId}?cascade=true`)).status).toBe(204);
  expect((await call(t, "GET", `/users/${userId}`)).status).toBe(404);
  await t.run(async (ctx) => {
    expect(await ctx.db.query("tempTransactions").take(1000)).toHaveLength(1);
    expect(await ctx.db.query("transactions").take(1000)).toHaveLength(0);
  });
});

function sampleFraud() {
  return {
    score: 12,
    probability: 0.12,
    level: "low" as const,
    decision: "allow" as const,
    reasons: [],
    attributionMethod: "test",
    models: { logistic: { probability: 0.1 }, neural: { probability: 0.14 } },
    features: {},
    modelVersion: "test",
    scoredAt: Date.now(),
    latencyMs: 1,
  };
}
