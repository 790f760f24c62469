import { expect, test } from "vitest";
import { sha256Hex } from "./apiKeys";
import { call, runScheduled, setupBackend, type Backend } from "../test.setup";

// Every change to a rule, a list or a list's items writes exactly one audit event in the same
// mutation; a refused change writes none.

const NAMED = { API_KEYS: "rules-desk:desk-secret-key,test-key" };
const DESK = "desk-secret-key";

async function auditCount(t: Backend): Promise<number> {
  return (await t.run(async (ctx) => await ctx.db.query("auditEvents").take(1000))).length;
}

/** Runs one REST call and checks how many audit events it wrote. */
async function expectEvents(
  t: Backend,
  events: number,
  run: () => Promise<{ status: number; body: any }>,
  status: number,
) {
  const before = await auditCount(t);
  const res = await run();
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(await auditCount(t)).toBe(before + events);
  return res;
}

test("each rule change writes one event naming the key; refused changes write none", async () => {
  const t = setupBackend(NAMED);
  const fingerprint = `key_${(await sha256Hex("test-key")).slice(0, 16)}`;

  const created = await expectEvents(
    t,
    1,
    () =>
      call(t, "POST", "/rules", {
        body: { name: "big", expression: "payment.amount > 1000", action: "block" },
        key: DESK,
      }),
    201,
  );
  const rule = created.body.rule;
  const other = (
    await call(t, "POST", "/rules", {
      body: { name: "other", expression: "true", action: "allow" },
    })
  ).body.rule;

  // Refused: invalid expressions (create and update), a taken name, an unknown rule.
  await expectEvents(
    t,
    0,
    () =>
      call(t, "POST", "/rules", {
        body: { name: "broken", expression: "payment.amount >", action: "block" },
      }),
    422,
  );
  await expectEvents(
    t,
    0,
    () => call(t, "PATCH", `/rules/${rule.id}`, { body: { expression: "payment.nope == 1" } }),
    422,
  );
  await expectEvents(
    t,
    0,
    () => call(t, "PATCH", `/rules/${rule.id}`, { body: { name: "other" } }),
    409,
  );
  await expectEvents(t, 0, () => call(t, "DELETE", `/rules/${other.id}x`), 404);

  const patched = await expectEvents(
    t,
    1,
    () => call(t, "PATCH", `/rules/${rule.id}`, { body: { mode: "shadow" } }),
    200,
  );
  await expectEvents(t, 1, () => call(t, "DELETE", `/rules/${rule.id}`, { key: DESK }), 204);

  const trail = await call(t, "GET", `/audit?targetType=rule&targetId=${rule.id}`);
  expect(trail.status).toBe(200);
  expect(trail.body.data).toEqual([
    {
      id: expect.any(String),
      at: expect.any(Number),
      action: "rule.deleted",
      actor: { kind: "apiKey", name: "rules-desk" },
      target: { type: "rule", id: rule.id },
      before: patched.body.rule,
      after: null,
    },
    {
      id: expect.any(String),
      at: expect.any(Number),
      action: "rule.updated",
      actor: { kind: "apiKey", name: fingerprint },
      target: { type: "rule", id: rule.id },
      before: rule,
      after: patched.body.rule,
    },
    {
      id: expect.any(String),
      at: expect.any(Number),
      action: "rule.created",
      actor: { kind: "apiKey", name: "rules-desk" },
      target: { type: "rule", id: rule.id },
      before: null,
      after: rule,
    },
  ]);
  const all = await call(t, "GET", "/audit?targetType=rule");
  expect(all.body.data.map((e: { action: string }) => e.action)).toEqual([
    "rule.deleted",
    "rule.updated",
    "rule.created",
    "rule.created",
  ]);
  const updates = await call(t, "GET", "/audit?targetType=rule&action=rule.updated");
  expect(updates.body.data).toHaveLength(1);
  expect(JSON.stringify(all.body)).not.toContain(DESK);
});

test("each list and item change writes one event; list_in_use and misses write none", async () => {
  const t = setupBackend(NAMED);
  const created = await expectEvents(
    t,
    1,
    () => call(t, "POST", "/lists", { body: { name: "blocked_cards" }, key: DESK }),
    201,
  );
  const list = created.body.list;
  await expectEvents(
    t,
    0,
    () => call(t, "POST", "/lists", { body: { name: "blocked_cards" } }),
    409,
  );

  // One event per request, however many items; a value repeated within it counts once.
  await expectEvents(
    t,
    1,
    () =>
      call(t, "POST", `/lists/${list.id}/items`, {
        body: { items: [{ value: "T-1", note: "chargeback" }, { value: "T-2" }, { value: "T-2" }] },
        key: DESK,
      }),
    200,
  );
  const again = await expectEvents(
    t,
    1,
    () =>
      call(t, "POST", `/lists/${list.id}/items`, {
        body: { items: [{ value: "T-2" }, { value: "T/3" }] },
      }),
    200,
  );
  expect(again.body).toEqual({ added: 1, existing: 1 });
  await expectEvents(
    t,
    0,
    () => call(t, "POST", `/lists/${list.id}/items`, { body: { items: [] } }),
    422,
  );

  const item = (await call(t, "GET", `/lists/${list.id}/items`)).body.data.find(
    (i: { value: string }) => i.value === "T-1",
  );
  await expectEvents(t, 1, () => call(t, "DELETE", `/lists/${list.id}/items/T-1`), 204);
  await expectEvents(t, 0, () => call(t, "DELETE", `/lists/${list.id}/items/T-1`), 404);

  // A live rule uses the list: deleting it is refused and records nothing.
  const rule = (
    await call(t, "POST", "/rules", {
      body: {
        name: "cards",
        expression: "payment.terminalId in lists.blocked_cards",
        action: "block",
      },
    })
  ).body.rule;
  const refused = await expectEvents(t, 0, () => call(t, "DELETE", `/lists/${list.id}`), 409);
  expect(refused.body.error.code).toBe("list_in_use");
  await call(t, "DELETE", `/rules/${rule.id}`);
  await expectEvents(t, 1, () => call(t, "DELETE", `/lists/${list.id}`, { key: DESK }), 204);
  await runScheduled(t);

  const desk = { kind: "apiKey", name: "rules-desk" };
  const lists = await call(t, "GET", "/audit?targetType=list");
  expect(lists.status).toBe(200);
  expect(lists.body.data).toMatchObject([
    {
      action: "list.deleted",
      actor: desk,
      target: { type: "list", id: list.id },
      before: { ...list, itemCount: 2 },
      after: null,
    },
    {
      action: "list.itemsAdded",
      actor: { kind: "apiKey" },
      target: { type: "list", id: list.id },
      before: null,
      after: { added: 1, existing: 1, values: ["T/3"] },
    },
    {
      action: "list.itemsAdded",
      actor: desk,
      target: { type: "list", id: list.id },
      before: null,
      after: { added: 2, existing: 0, values: ["T-1", "T-2"] },
    },
    {
      action: "list.created",
      actor: desk,
      target: { type: "list", id: list.id },
      before: null,
      after: list,
    },
  ]);
  expect(lists.body.data[1].actor.name).not.toBe("rules-desk");

  const items = await call(t, "GET", "/audit?targetType=listItem");
  expect(items.body.data).toEqual([
    {
      id: expect.any(String),
      at: expect.any(Number),
      action: "listItem.removed",
      actor: { kind: "apiKey", name: `key_${(await sha256Hex("test-key")).slice(0, 16)}` },
      target: { type: "listItem", id: `${list.id}:T-1` },
      before: { value: "T-1", note: "chargeback", expiresAt: null, addedAt: item.addedAt },
      after: null,
    },
  ]);
  const byItem = await call(
    t,
    "GET",
    `/audit?targetType=listItem&targetId=${encodeURIComponent(`${list.id}:T-1`)}&action=listItem.removed`,
  );
  expect(byItem.body.data).toHaveLength(1);
});
