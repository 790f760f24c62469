import { Webhook } from "standardwebhooks";
import { afterEach, expect, test, vi } from "vitest";
import { WEBHOOK_RETRY } from "../model/webhooks/retry";
import { call, createUser, postPayment, runScheduled, setupBackend } from "../test.setup";
import { createWebhook, deliveries, receiver, URL_OK } from "./webhooks.setup";

/** Payments of this amount are decided `review`. */
const REVIEW_AMOUNT = 777;
vi.mock("../ml/scorer", async (importOriginal) => {
  const original = await importOriginal<typeof import("../ml/scorer")>();
  return {
    ...original,
    assessPayment: async (...args: Parameters<typeof original.assessPayment>) => {
      const assessment = await original.assessPayment(...args);
      const decision = args[1].payment.amount === REVIEW_AMOUNT ? "review" : "allow";
      return { ...assessment, decision };
    },
  };
});

afterEach(() => {
  vi.unstubAllGlobals();
});

test("endpoints: created with a secret shown once, read, changed, deleted, each audited once", async () => {
  const t = setupBackend();
  const created = await call(t, "POST", "/webhooks", {
    body: { url: URL_OK, events: ["payment.scored"], description: "risk desk" },
  });
  expect(created.status).toBe(201);
  const webhook = created.body.webhook;
  expect(webhook).toMatchObject({
    url: URL_OK,
    events: ["payment.scored"],
    description: "risk desk",
    enabled: true,
  });
  expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
  expect(created.headers.get("location")).toBe(`/api/v1/webhooks/${webhook.id}`);

  const { secret, ...shown } = webhook;
  expect((await call(t, "GET", `/webhooks/${webhook.id}`)).body).toEqual({ webhook: shown });
  expect((await call(t, "GET", "/webhooks")).body).toEqual({ data: [shown] });

  const patched = await call(t, "PATCH", `/webhooks/${webhook.id}`, {
    body: { events: ["payment.scored", "review.opened"], enabled: false },
  });
  expect(patched.status).toBe(200);
  expect(patched.body.webhook).toMatchObject({
    events: ["payment.scored", "review.opened"],
    enabled: false,
  });
  expect(patched.body.webhook.secret).toBeUndefined();
  expect((await call(t, "PATCH", `/webhooks/${webhook.id}`, { body: {} })).status).toBe(422);
  expect(
    (await call(t, "PATCH", `/webhooks/${webhook.id}`, { body: { events: ["nope"] } })).status,
  ).toBe(422);

  expect((await call(t, "DELETE", `/webhooks/${webhook.id}`)).status).toBe(204);
  for (const [method, path] of [
    ["GET", `/webhooks/${webhook.id}`],
    ["DELETE", `/webhooks/${webhook.id}`],
    ["POST", `/webhooks/${webhook.id}/test`],
    ["GET", `/webhooks/${webhook.id}/deliveries`],
    ["GET", "/webhooks/nope"],
  ]) {
    expect((await call(t, method, path)).status, path).toBe(404);
  }
  const audit = (await call(t, "GET", "/audit?targetType=webhook")).body.data;
  expect(audit.map((e: { action: string }) => e.action)).toEqual([
    "webhook.deleted",
    "webhook.updated",
    "webhook.created",
  ]);
  expect(JSON.stringify(audit)).not.toContain(secret);
});

test("URLs to private, loopback or link-local addresses are 422 on a deployment", async () => {
  const t = setupBackend();
  const refused = [
    "http://hooks.example.com/fraud",
    "https://127.0.0.1/hook",
    "https://localhost:8080/hook",
    "http://localhost:3000/hook",
    "https://10.1.2.3/hook",
    "https://172.20.0.1/hook",
    "https://192.168.1.10/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://[::1]/hook",
    "https://[fd00::1]/hook",
    "https://[fe80::1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    "https://user:pass@hooks.example.com/hook",
    "https://metadata.internal/hook",
    "https://printer.local/hook",
    "https://intranet/hook",
    "ftp://hooks.example.com/hook",
    "not a url",
  ];
  for (const url of refused) {
    const res = await call(t, "POST", "/webhooks", { body: { url, events: ["payment.scored"] } });
    expect(res.status, url).toBe(422);
    expect(res.body.error.code, url).toBe("invalid_webhook_url");
  }
  const { id } = await createWebhook(t);
  const patch = await call(t, "PATCH", `/webhooks/${id}`, {
    body: { url: "https://10.0.0.1/x" },
  });
  expect(patch.status).toBe(422);
  expect((await call(t, "POST", "/webhooks", { body: { url: URL_OK, events: [] } })).status).toBe(
    422,
  );
  await t.run(async (ctx) => {
    expect(await ctx.db.query("webhookEndpoints").take(100)).toHaveLength(1);
  });

  // Local mode accepts a receiver on this machine, and nothing else private.
  const local = setupBackend({ WEBHOOK_ALLOW_LOCALHOST: "true" });
  for (const url of ["http://127.0.0.1:4000/hook", "http://localhost:4000/hook"]) {
    const res = await call(local, "POST", "/webhooks", {
      body: { url, events: ["payment.scored"] },
    });
    expect(res.status, url).toBe(201);
  }
  for (const url of ["http://10.0.0.1/hook", "http://169.254.169.254/", "http://example.com/"]) {
    const res = await call(local, "POST", "/webhooks", {
      body: { url, events: ["payment.scored"] },
    });
    expect(res.status, url).toBe(422);
  }
});

test("every event arrives signed and verifies with the standardwebhooks library", async () => {
  const t = setupBackend();
  const received = receiver();
  const { id, secret } = await createWebhook(t);
  const userId = await createUser(t);
  const paymentId = (await postPayment(t, { userId, amount: REVIEW_AMOUNT })).body.transaction.id;
  await runScheduled(t);
  const reviewId = (await call(t, "GET", `/transactions/${paymentId}`)).body.transaction.review.id;
  await call(t, "POST", `/reviews/${reviewId}/resolve`, { body: { outcome: "decline" } });
  expect((await call(t, "POST", `/webhooks/${id}/test`)).status).toBe(202);
  await runScheduled(t);

  const verifier = new Webhook(secret);
  const events = received.map((r) => {
    expect(r.url).toBe(URL_OK);
    // Verified as the receiver would on arrival (the library refuses stale timestamps).
    vi.setSystemTime(r.at);
    const payload = verifier.verify(r.body, r.headers) as { id: string; type: string; data: any };
    expect(r.headers["webhook-id"]).toBe(payload.id);
    expect(payload.id).toMatch(/^evt_[0-9a-z]{24}$/);
    return payload;
  });
  expect(events.map((e) => e.type).sort()).toEqual([
    "payment.labeled",
    "payment.scored",
    "review.opened",
    "review.resolved",
    "webhook.test",
  ]);
  const byType = Object.fromEntries(events.map((e) => [e.type, e.data]));
  const shown = (await call(t, "GET", `/transactions/${paymentId}`)).body.transaction;
  expect(byType["payment.scored"]).toMatchObject({
    id: paymentId,
    status: "scored",
    fraud: { decision: "review" },
    review: { id: reviewId, status: "open" },
  });
  expect(byType["review.opened"]).toMatchObject({ id: reviewId, status: "open" });
  expect(byType["review.resolved"]).toMatchObject({ id: reviewId, status: "declined" });
  expect(byType["payment.labeled"]).toEqual(shown);
  expect(byType["webhook.test"]).toMatchObject({ webhookId: id });

  // A tampered body or another secret does not verify.
  const [first] = received;
  expect(() => verifier.verify(first.body + " ", first.headers)).toThrow();
  const other = await createWebhook(t);
  expect(() => new Webhook(other.secret).verify(first.body, first.headers)).toThrow();
});

test("a receiver failing 3 times then answering 200 gets the same webhook-id 4 times", async () => {
  const t = setupBackend();
  const received = receiver((_, i) => (i < 3 ? 500 : 200));
  const { id } = await createWebhook(t);
  await call(t, "POST", `/webhooks/${id}/test`);
  await runScheduled(t);

  expect(received).toHaveLength(4);
  expect(new Set(received.map((r) => r.headers["webhook-id"])).size).toBe(1);
  expect(new Set(received.map((r) => r.body)).size).toBe(1);
  const [delivery] = await deliveries(t);
  expect(delivery).toMatchObject({ status: "delivered", attempts: 4 });

  const page = (await call(t, "GET", `/webhooks/${id}/deliveries`)).body;
  expect(page.nextCursor).toBeNull();
  expect(
    page.data.map((a: any) => [a.attempt, a.status, a.responseCode, a.deliveryStatus]),
  ).toEqual([
    [4, "succeeded", 200, "delivered"],
    [3, "failed", 500, "delivered"],
    [2, "failed", 500, "delivered"],
    [1, "failed", 500, "delivered"],
  ]);
  expect(page.data[0]).toMatchObject({ eventType: "webhook.test", nextAttemptAt: null });
  expect(page.data[0].eventId).toBe(received[0].headers["webhook-id"]);
  for (const failed of page.data.slice(1)) {
    expect(failed.error).toBe("non-2xx answer");
    expect(failed.nextAttemptAt).toBeGreaterThan(failed.finishedAt);
  }
  // Exponential backoff with jitter: each planned wait is the schedule's, within the jitter.
  const waits = [...page.data]
    .reverse()
    .slice(0, 3)
    .map((a: any) => a.nextAttemptAt - a.finishedAt);
  waits.forEach((wait: number, i: number) => {
    const backoff = WEBHOOK_RETRY.initialBackoffMs * WEBHOOK_RETRY.base ** i;
    expect(wait).toBeGreaterThanOrEqual(backoff * (1 - WEBHOOK_RETRY.jitter));
    expect(wait).toBeLessThanOrEqual(backoff * (1 + WEBHOOK_RETRY.jitter));
  });
  const two = await call(t, "GET", `/webhooks/${id}/deliveries?limit=2`);
  expect(two.body.data).toHaveLength(2);
  const rest = await call(t, "GET", `/webhooks/${id}/deliveries?cursor=${two.body.nextCursor}`);
  expect(rest.body.data.map((a: any) => a.attempt)).toEqual([2, 1]);
});

test("a disabled endpoint receives nothing, not even what was pending", async () => {
  const t = setupBackend();
  const received = receiver();
  const off = await createWebhook(t, { url: "https://off.example.com/hook" });
  await createWebhook(t, {
    url: "https://on.example.com/hook",
    events: ["payment.labeled"],
  });
  const userId = await createUser(t);
  const paymentId = (await postPayment(t, { userId })).body.transaction.id;
  await runScheduled(t);
  // Queued while enabled, disabled before its attempt ran.
  await call(t, "POST", `/transactions/${paymentId}/feedback`, { body: { label: "fraud" } });
  await call(t, "PATCH", `/webhooks/${off.id}`, { body: { enabled: false } });
  await call(t, "POST", `/transactions/${paymentId}/feedback`, { body: { label: "legitimate" } });
  await runScheduled(t);

  const offUrls = received.filter((r) => r.url.startsWith("https://off."));
  expect(offUrls.map((r) => JSON.parse(r.body).type)).toEqual(["payment.scored"]);
  expect(
    received.filter((r) => r.url.startsWith("https://on.")).map((r) => JSON.parse(r.body).type),
  ).toEqual(["payment.labeled", "payment.labeled"]);
  const statuses = (await deliveries(t))
    .filter((d) => d.endpointId === off.id)
    .map((d) => [d.eventType, d.status]);
  expect(statuses).toEqual([
    ["payment.scored", "delivered"],
    ["payment.labeled", "canceled"],
  ]);
});
