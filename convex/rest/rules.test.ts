import { expect, test } from "vitest";
import { call, setupBackend, type Backend } from "../test.setup";

async function createRule(t: Backend, body: Record<string, unknown>) {
  const res = await call(t, "POST", "/rules", { body: { action: "block", ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.rule;
}

test("a rule is created active by default, read, listed in evaluation order, patched and deleted", async () => {
  const t = setupBackend();
  const rule = await createRule(t, {
    name: "large_amounts",
    expression: "payment.amount > 1000",
    description: "Big tickets",
  });
  expect(rule).toEqual({
    id: expect.any(String),
    name: "large_amounts",
    expression: "payment.amount > 1000",
    action: "block",
    mode: "active",
    description: "Big tickets",
    version: 1,
    createdAt: expect.any(Number),
    updatedAt: expect.any(Number),
  });
  const second = await createRule(t, {
    name: "night_review",
    expression: "features.TX_DURING_NIGHT > 0.5",
    action: "review",
    mode: "shadow",
  });
  expect((await call(t, "GET", `/rules/${rule.id}`)).body).toEqual({ rule });
  const all = await call(t, "GET", "/rules");
  expect(all.body.data.map((r: { name: string }) => r.name)).toEqual([
    "large_amounts",
    "night_review",
  ]);

  const patched = await call(t, "PATCH", `/rules/${rule.id}`, {
    body: { expression: "payment.amount > 2000.0", mode: "disabled" },
  });
  expect(patched.status).toBe(200);
  expect(patched.body.rule).toMatchObject({
    expression: "payment.amount > 2000.0",
    mode: "disabled",
    version: 2,
  });
  const renamed = await call(t, "PATCH", `/rules/${rule.id}`, { body: { name: "huge_amounts" } });
  expect(renamed.body.rule).toMatchObject({ name: "huge_amounts", version: 3 });
  const taken = await call(t, "PATCH", `/rules/${second.id}`, { body: { name: "huge_amounts" } });
  expect(taken.status).toBe(409);
  expect(taken.body.error.code).toBe("rule_name_taken");
  expect((await call(t, "PATCH", `/rules/${rule.id}`, { body: {} })).status).toBe(422);
  expect((await call(t, "PATCH", `/rules/${rule.id}`, { body: { id: "x" } })).status).toBe(422);

  const dup = await call(t, "POST", "/rules", {
    body: { name: "night_review", expression: "true", action: "allow" },
  });
  expect(dup.status).toBe(409);
  expect((await call(t, "DELETE", `/rules/${rule.id}`)).status).toBe(204);
  expect((await call(t, "GET", `/rules/${rule.id}`)).status).toBe(404);
  expect((await call(t, "DELETE", `/rules/${rule.id}`)).status).toBe(404);
  for (const body of [
    { name: "Bad-Name", expression: "true", action: "block" },
    { name: "ok", expression: "true", action: "deny" },
    { name: "ok", expression: "true", action: "block", mode: "on" },
  ]) {
    expect((await call(t, "POST", "/rules", { body })).body.error.code).toBe("validation_failed");
  }
});

/** At least 20 malformed expressions: syntax, unknown names, types, result type, size. */
const MALFORMED = [
  "payment.amount >",
  "payment.amount > 1000 &&",
  "(payment.amount > 1",
  "payment..amount",
  "'unterminated",
  "payment.amout > 10",
  "payments.amount > 10",
  "features.NOT_A_FEATURE > 0.5",
  "user.phone == '1'",
  "payment.userId in lists.unknown_list",
  "size(lists.vip) > 0",
  "payment.amount > 'a'",
  "payment.currency > 1",
  "payment.amount + 'x' > 1",
  "!payment.amount",
  "payment.amount in lists.vip",
  "payment.amount",
  "payment.terminalId",
  "score + 1",
  "frobnicate(payment.amount)",
  "payment.terminalId.contains(1)",
  `payment.amount > 1 || ${"payment.amount > 2 || ".repeat(200)}false`,
];

test("every malformed expression is a 422 invalid_expression with a message and a position", async () => {
  const t = setupBackend();
  expect((await call(t, "POST", "/lists", { body: { name: "vip" } })).status).toBe(201);
  expect(MALFORMED.length).toBeGreaterThanOrEqual(20);
  expect(new TextEncoder().encode(MALFORMED[MALFORMED.length - 1]).length).toBeGreaterThan(4096);
  for (const expression of MALFORMED) {
    const res = await call(t, "POST", "/rules", {
      body: { name: "candidate", expression, action: "block" },
    });
    expect(res.status, expression).toBe(422);
    expect(res.body.error.code).toBe("invalid_expression");
    const [detail] = res.body.error.details;
    expect(detail).toMatchObject({
      field: "expression",
      message: expect.any(String),
      position: { offset: expect.any(Number), line: 1, column: expect.any(Number) },
    });
  }
  expect((await call(t, "GET", "/rules")).body.data).toEqual([]);
  const unknownList = await call(t, "POST", "/rules", {
    body: { name: "c", expression: "payment.userId in lists.nope", action: "allow" },
  });
  expect(unknownList.body.error.details[0]).toMatchObject({
    message: "unknown list 'nope'",
    position: { offset: 23, line: 1, column: 24 },
  });
});

test("a patch is checked too, and re-enabling a rule needs its lists", async () => {
  const t = setupBackend();
  const list = (await call(t, "POST", "/lists", { body: { name: "vip" } })).body.list;
  const rule = await createRule(t, {
    name: "vips",
    expression: "payment.userId in lists.vip",
    action: "allow",
  });
  const bad = await call(t, "PATCH", `/rules/${rule.id}`, { body: { expression: "1 +" } });
  expect(bad.status).toBe(422);
  expect(bad.body.error.code).toBe("invalid_expression");
  expect((await call(t, "GET", `/rules/${rule.id}`)).body.rule.version).toBe(1);

  // Referenced by an active rule, then a shadow one: the list cannot go.
  const inUse = await call(t, "DELETE", `/lists/${list.id}`);
  expect(inUse.status).toBe(409);
  expect(inUse.body.error.code).toBe("list_in_use");
  await call(t, "PATCH", `/rules/${rule.id}`, { body: { mode: "shadow" } });
  expect((await call(t, "DELETE", `/lists/${list.id}`)).status).toBe(409);
  // Disabled: the list may go, and the rule stays editable while disabled.
  await call(t, "PATCH", `/rules/${rule.id}`, { body: { mode: "disabled" } });
  expect((await call(t, "DELETE", `/lists/${list.id}`)).status).toBe(204);
  const described = await call(t, "PATCH", `/rules/${rule.id}`, {
    body: { description: "VIPs go through" },
  });
  expect(described.status).toBe(200);
  const enable = await call(t, "PATCH", `/rules/${rule.id}`, { body: { mode: "active" } });
  expect(enable.status).toBe(422);
  expect(enable.body.error.details[0].message).toBe("unknown list 'vip'");
});

test("the OpenAPI document covers every lists, rules and backtests endpoint", async () => {
  const t = setupBackend();
  const doc = (await call(t, "GET", "/openapi.json", { key: null })).body;
  const expected: Record<string, string[]> = {
    "/lists": ["post", "get"],
    "/lists/{id}": ["get", "delete"],
    "/lists/{id}/items": ["post", "get"],
    "/lists/{id}/items/{value}": ["delete"],
    "/rules": ["post", "get"],
    "/rules/{id}": ["get", "patch", "delete"],
    "/rules/backtests": ["post"],
    "/rules/backtests/{id}": ["get"],
  };
  for (const [path, methods] of Object.entries(expected)) {
    const item = doc.paths[`/api/v1${path}`];
    expect(item, path).toBeDefined();
    expect(Object.keys(item).sort(), path).toEqual(expect.arrayContaining(methods));
  }
  expect(doc.components.schemas.Rule).toBeDefined();
  expect(doc.components.schemas.Backtest).toBeDefined();
});

test("the README's example error is what the API answers", async () => {
  const t = setupBackend();
  const res = await call(t, "POST", "/rules", {
    body: { name: "typo", expression: "payment.amout > 10", action: "block" },
  });
  expect(res.body).toEqual({
    error: {
      code: "invalid_expression",
      message: "The expression is invalid: undefined field 'amout' of payment.",
      details: [
        {
          field: "expression",
          message: "undefined field 'amout' of payment",
          position: { offset: 7, line: 1, column: 8 },
        },
      ],
    },
  });
});
