import { afterEach, expect, test, vi } from "vitest";
import { emitEvent } from "../model/webhooks/events";
import { runScheduled, setupBackend } from "../test.setup";
import { createWebhook, deliveries, receiver } from "./webhooks.setup";

afterEach(() => {
  vi.unstubAllGlobals();
});

test("1,000 events with 10 % of answers failing: every one delivered once with a 2xx", async () => {
  const t = setupBackend({ WEBHOOK_PARALLELISM: "10" });
  // Deterministic: every tenth answer fails, whatever the event.
  const received = receiver((_, i) => (i % 10 === 3 ? 500 : 200));
  await createWebhook(t, { events: ["payment.labeled"] });
  const emitted: string[] = [];
  for (let batch = 0; batch < 10; batch++) {
    await t.run(async (ctx) => {
      for (let i = 0; i < 100; i++) {
        const id = await emitEvent(ctx, "payment.labeled", { n: batch * 100 + i });
        emitted.push(id!);
      }
    });
  }
  await runScheduled(t);

  const okIds = received.filter((_, i) => i % 10 !== 3).map((r) => r.headers["webhook-id"]);
  expect(okIds).toHaveLength(new Set(okIds).size);
  expect([...okIds].sort()).toEqual([...emitted].sort());
  expect(received.length).toBeGreaterThan(1_000);
  const settled = await deliveries(t);
  expect(settled.filter((d) => d.status === "delivered")).toHaveLength(1_000);
});
