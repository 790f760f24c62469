import { expect, test } from "vitest";
import { sha256Hex } from "./apiKeys";
import { routes } from "./routes";
import {
  call,
  createUser,
  postPayment,
  runScheduled,
  setupBackend,
  type Backend,
} from "../test.setup";

const NAMED = { API_KEYS: "ops-team:ops-secret-key,test-key" };

async function auditRows(t: Backend) {
  return await t.run(async (ctx) => await ctx.db.query("auditEvents").take(1000));
}

test("feedback writes exactly one audit event, naming the key but never showing it", async () => {
  const t = setupBackend(NAMED);
  const userId = await createUser(t);
  const id = (await postPayment(t, { userId })).body.transaction.id;

  const first = await call(t, "POST", `/transactions/${id}/feedback`, {
    body: { label: "fraud" },
    key: "ops-secret-key",
  });
  expect(first.status).toBe(200);
  expect(await auditRows(t)).toHaveLength(1);
  await call(t, "POST", `/transactions/${id}/feedback`, { body: { label: "legitimate" } });
  // A refused request changes nothing and records nothing.
  await call(t, "POST", `/transactions/${id}/feedback`, { body: { label: "maybe" } });
  expect(await auditRows(t)).toHaveLength(2);

  const res = await call(t, "GET", `/audit?targetType=payment&targetId=${id}`);
  expect(res.status).toBe(200);
  const fingerprint = (await sha256Hex("test-key")).slice(0, 16);
  expect(res.body.data).toMatchObject([
    {
      action: "payment.labeled",
      actor: { kind: "apiKey", name: `key_${fingerprint}` },
      target: { type: "payment", id },
      before: { label: "fraud" },
      after: { label: "legitimate" },
    },
    {
      action: "payment.labeled",
      actor: { kind: "apiKey", name: "ops-team" },
      before: { label: null },
      after: { label: "fraud" },
    },
  ]);
  expect(res.body.data[0].at).toBeGreaterThanOrEqual(res.body.data[1].at);
  const text = JSON.stringify(res.body);
  expect(text).not.toContain("ops-secret-key");
  expect(text).not.toContain("test-key");
  // The named key authenticates only with its key part, never with the whole entry.
  expect((await call(t, "GET", "/audit", { key: "ops-team:ops-secret-key" })).status).toBe(401);
});

test("GET /audit filters by target and action, newest first, one page at a time", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push((await postPayment(t, { userId, amount: 10 + i })).body.transaction.id);
  }
  for (const id of ids) {
    await call(t, "POST", `/transactions/${id}/feedback`, { body: { label: "legitimate" } });
  }
  await call(t, "POST", `/transactions/${ids[0]}/feedback`, { body: { label: "fraud" } });

  const all = await call(t, "GET", "/audit?action=payment.labeled");
  expect(all.body.data.map((e: { target: { id: string } }) => e.target.id)).toEqual([
    ids[0],
    ...[...ids].reverse(),
  ]);
  expect(all.body.nextCursor).toBeNull();

  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${cursor}` : "";
    const page = await call(t, "GET", `/audit?targetType=payment&limit=2${query}`);
    expect(page.status).toBe(200);
    expect(page.body.data.length).toBeLessThanOrEqual(2);
    seen.push(...page.body.data.map((e: { id: string }) => e.id));
    cursor = page.body.nextCursor;
  } while (cursor !== null);
  expect(seen).toEqual(all.body.data.map((e: { id: string }) => e.id));

  const one = await call(
    t,
    "GET",
    `/audit?targetType=payment&targetId=${ids[0]}&action=payment.labeled`,
  );
  expect(one.body.data).toHaveLength(2);
  expect((await call(t, "GET", "/audit?targetType=webhook")).body.data).toEqual([]);
  expect((await call(t, "GET", "/audit?action=review.resolved")).body.data).toEqual([]);

  for (const bad of [
    `/audit?targetId=${ids[0]}`,
    "/audit?targetType=planet",
    "/audit?cursor=not-a-cursor",
    "/audit?limit=0",
    "/audit?unknown=1",
  ]) {
    const res = await call(t, "GET", bad);
    expect(res.status, bad).toBe(400);
  }
  expect((await call(t, "GET", "/audit", { key: null })).status).toBe(401);
});

test("no endpoint changes an audit event, and deleting the customer keeps them", async () => {
  const auditPaths = routes.filter((r) => r.path.startsWith("/audit"));
  expect(auditPaths.map((r) => r.method)).toEqual(["GET"]);

  const t = setupBackend();
  const userId = await createUser(t);
  const id = (await postPayment(t, { userId })).body.transaction.id;
  await call(t, "POST", `/transactions/${id}/feedback`, { body: { label: "fraud" } });
  const [event] = await auditRows(t);
  for (const method of ["POST", "PATCH", "DELETE"]) {
    expect((await call(t, method, "/audit", { body: {} })).status).toBe(405);
    expect((await call(t, method, `/audit/${event._id}`, { body: {} })).status).toBe(404);
  }
  await runScheduled(t);
  expect((await call(t, "DELETE", `/users/${userId}?cascade=true`)).status).toBe(204);
  await runScheduled(t);
  expect((await call(t, "GET", `/users/${userId}`)).status).toBe(404);
  expect(await auditRows(t)).toEqual([event]);
});
