import { expect, test } from "vitest";
import { isListed } from "../model/lists/lists";
import { call, runScheduled, setupBackend, type Backend } from "../test.setup";

async function createList(t: Backend, name: string): Promise<string> {
  const res = await call(t, "POST", "/lists", { body: { name } });
  expect(res.status).toBe(201);
  return res.body.list.id as string;
}

test("a list is created, read, listed by name and its name is unique", async () => {
  const t = setupBackend();
  const res = await call(t, "POST", "/lists", {
    body: { name: "vip", description: "Our best customers" },
  });
  expect(res.status).toBe(201);
  expect(res.body.list).toEqual({
    id: expect.any(String),
    name: "vip",
    description: "Our best customers",
    itemCount: 0,
    createdAt: expect.any(Number),
  });
  expect(res.headers.get("location")).toBe(`/api/v1/lists/${res.body.list.id}`);
  expect((await call(t, "GET", `/lists/${res.body.list.id}`)).body).toEqual(res.body);

  const taken = await call(t, "POST", "/lists", { body: { name: "vip" } });
  expect(taken.status).toBe(409);
  expect(taken.body.error.code).toBe("list_name_taken");

  for (const name of ["", "VIP", "with-dash", "x".repeat(65), "é"]) {
    const bad = await call(t, "POST", "/lists", { body: { name } });
    expect(bad.status, name).toBe(422);
  }
  await createList(t, "a_first");
  await createList(t, "zz_last");
  const first = await call(t, "GET", "/lists?limit=2");
  expect(first.body.data.map((l: { name: string }) => l.name)).toEqual(["a_first", "vip"]);
  const second = await call(t, "GET", `/lists?limit=2&cursor=${first.body.nextCursor}`);
  expect(second.body.data.map((l: { name: string }) => l.name)).toEqual(["zz_last"]);
  expect(second.body.nextCursor).toBeNull();
  expect((await call(t, "GET", "/lists?cursor=nope!")).status).toBe(400);
  expect((await call(t, "GET", "/lists/not-an-id")).status).toBe(404);
});

test("items: added, counted once, paginated by value, removed by URL-encoded value", async () => {
  const t = setupBackend();
  const id = await createList(t, "emails");
  const add = await call(t, "POST", `/lists/${id}/items`, {
    body: {
      items: [
        { value: "a@x.com", note: "chargeback" },
        { value: "b/c@x.com" },
        { value: "a@x.com" },
        { value: "ünï@x.com" },
      ],
    },
  });
  expect(add.status).toBe(200);
  expect(add.body).toEqual({ added: 3, existing: 0 });
  const again = await call(t, "POST", `/lists/${id}/items`, {
    body: { items: [{ value: "a@x.com", note: "again" }, { value: "d@x.com" }] },
  });
  expect(again.body).toEqual({ added: 1, existing: 1 });
  expect((await call(t, "GET", `/lists/${id}`)).body.list.itemCount).toBe(4);

  const page1 = await call(t, "GET", `/lists/${id}/items?limit=2`);
  expect(page1.body.data.map((i: { value: string }) => i.value)).toEqual(["a@x.com", "b/c@x.com"]);
  expect(page1.body.data[0]).toMatchObject({ note: "again", expiresAt: null });
  const page2 = await call(t, "GET", `/lists/${id}/items?limit=2&cursor=${page1.body.nextCursor}`);
  expect(page2.body.data.map((i: { value: string }) => i.value)).toEqual(["d@x.com", "ünï@x.com"]);
  expect(page2.body.nextCursor).toBeNull();

  const removed = await call(t, "DELETE", `/lists/${id}/items/${encodeURIComponent("b/c@x.com")}`);
  expect(removed.status).toBe(204);
  const absent = await call(t, "DELETE", `/lists/${id}/items/${encodeURIComponent("b/c@x.com")}`);
  expect(absent.status).toBe(404);
  expect((await call(t, "GET", `/lists/${id}`)).body.list.itemCount).toBe(3);
});

test("1 to 1,000 items per request; values of 1 to 256 characters", async () => {
  const t = setupBackend();
  const id = await createList(t, "many");
  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ value: `v${i}` }));
  const tooMany = await call(t, "POST", `/lists/${id}/items`, { body: { items: items(1001) } });
  expect(tooMany.status).toBe(422);
  expect(tooMany.body.error.code).toBe("validation_failed");
  expect((await call(t, "POST", `/lists/${id}/items`, { body: { items: [] } })).status).toBe(422);
  for (const value of ["", "x".repeat(257)]) {
    const bad = await call(t, "POST", `/lists/${id}/items`, { body: { items: [{ value }] } });
    expect(bad.status).toBe(422);
  }
  const full = await call(t, "POST", `/lists/${id}/items`, { body: { items: items(1000) } });
  expect(full.body).toEqual({ added: 1000, existing: 0 });
  const longest = await call(t, "POST", `/lists/${id}/items`, {
    body: { items: [{ value: "x".repeat(256) }] },
  });
  expect(longest.body).toEqual({ added: 1, existing: 0 });
  expect((await call(t, "POST", "/lists/nope/items", { body: { items: items(1) } })).status).toBe(
    404,
  );
});

test("membership is exact, and an item past its expiresAt does not match", async () => {
  const t = setupBackend();
  const id = await createList(t, "blocked_cards");
  const now = Date.now();
  await call(t, "POST", `/lists/${id}/items`, {
    body: {
      items: [
        { value: "card-live" },
        { value: "card-later", expiresAt: now + 60_000 },
        { value: "card-expired", expiresAt: now - 1 },
      ],
    },
  });
  const member = (value: string) => t.run((ctx) => isListed(ctx, "blocked_cards", value, now));
  expect(await member("card-live")).toBe(true);
  expect(await member("card-later")).toBe(true);
  expect(await member("card-expired")).toBe(false);
  expect(await member("card-liv")).toBe(false);
  expect(await t.run((ctx) => isListed(ctx, "no_such_list", "card-live", now))).toBe(false);
  expect(await t.run((ctx) => isListed(ctx, "blocked_cards", "card-later", now + 60_000))).toBe(
    false,
  );
});

test("deleting a list frees its name at once and removes its items in batches", async () => {
  const t = setupBackend();
  const id = await createList(t, "big");
  // More than one deletion batch (LIST_DELETE_BATCH = 1000).
  for (const [batch, size] of [1000, 200].entries()) {
    const items = Array.from({ length: size }, (_, i) => ({ value: `b${batch}-${i}` }));
    expect((await call(t, "POST", `/lists/${id}/items`, { body: { items } })).status).toBe(200);
  }
  expect((await call(t, "DELETE", `/lists/${id}`)).status).toBe(204);
  expect((await call(t, "GET", `/lists/${id}`)).status).toBe(404);
  // The name is free again, and the new list holds none of the old items.
  const fresh = await createList(t, "big");
  expect(await t.run((ctx) => isListed(ctx, "big", "b0-1", Date.now()))).toBe(false);
  await runScheduled(t);
  const left = await t.run(async (ctx) => ({
    items: (await ctx.db.query("listItems").take(10)).length,
    counts: (await ctx.db.query("listCounts").take(10)).map((c) => c.listId),
  }));
  expect(left).toEqual({ items: 0, counts: [fresh] });
  expect((await call(t, "GET", `/lists/${fresh}/items`)).body.data).toEqual([]);
  expect((await call(t, "DELETE", `/lists/${id}`)).status).toBe(404);
});
