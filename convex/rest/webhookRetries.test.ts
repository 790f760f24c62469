import { afterEach, expect, test, vi } from "vitest";
import { MAX_CONSECUTIVE_FAILURES, WEBHOOK_RETRY } from "../model/webhooks/retry";
import { call, runScheduled, setupBackend } from "../test.setup";
import { createWebhook, deliveries, receiver } from "./webhooks.setup";

afterEach(() => {
  vi.unstubAllGlobals();
});

test("failing for 24 hours fails the delivery; 20 failed deliveries disable the endpoint", async () => {
  const t = setupBackend();
  const received = receiver((r) => (r.url.endsWith("/down") ? 503 : 302));
  const { id } = await createWebhook(t, { url: "https://hooks.example.com/down" });
  await call(t, "POST", `/webhooks/${id}/test`);
  await runScheduled(t);

  const attempts = received.length;
  const all = (await call(t, "GET", `/webhooks/${id}/deliveries`)).body.data.reverse();
  expect(all.map((a: any) => a.attempt)).toEqual(Array.from({ length: attempts }, (_, i) => i + 1));
  // Every retry was planned within 24 hours of the event, and the last one ends it.
  const created = (await deliveries(t))[0].createdAt;
  for (const a of all.slice(0, -1)) {
    expect(a.nextAttemptAt - created).toBeLessThanOrEqual(WEBHOOK_RETRY.windowMs);
  }
  expect(all[attempts - 2].nextAttemptAt - created).toBeGreaterThan(WEBHOOK_RETRY.windowMs / 2);
  expect(attempts).toBeGreaterThanOrEqual(8);
  expect(all.every((a: any) => a.responseCode === 503)).toBe(true);
  const [delivery] = await deliveries(t);
  expect(delivery).toMatchObject({ status: "failed", attempts });
  const last = (await call(t, "GET", `/webhooks/${id}/deliveries?limit=1`)).body.data[0];
  expect(last).toMatchObject({ attempt: attempts, deliveryStatus: "failed", nextAttemptAt: null });

  // Redirects are not followed: a 3xx is a failed attempt, and nothing goes to its Location.
  const moved = await createWebhook(t, { url: "https://hooks.example.com/moved" });
  await call(t, "POST", `/webhooks/${moved.id}/test`);
  await runScheduled(t);
  const movedAttempts = (await call(t, "GET", `/webhooks/${moved.id}/deliveries?limit=1`)).body;
  expect(movedAttempts.data[0]).toMatchObject({
    responseCode: 302,
    error: "redirect not followed",
  });
  expect(received.every((r) => r.url.startsWith("https://hooks.example.com/"))).toBe(true);

  // Twenty failed deliveries in a row (one so far) disable the endpoint, once.
  for (let i = 1; i < MAX_CONSECUTIVE_FAILURES; i++) {
    await call(t, "POST", `/webhooks/${id}/test`);
  }
  await runScheduled(t);
  const endpoint = (await call(t, "GET", `/webhooks/${id}`)).body.webhook;
  expect(endpoint).toMatchObject({ enabled: false, consecutiveFailures: MAX_CONSECUTIVE_FAILURES });
  const audit = await call(
    t,
    "GET",
    `/audit?targetType=webhook&targetId=${id}&action=webhook.disabled`,
  );
  expect(audit.body.data).toHaveLength(1);
  expect(audit.body.data[0].actor).toEqual({ kind: "system", name: "webhooks" });
  expect((await call(t, "POST", `/webhooks/${id}/test`)).status).toBe(409);
});
