import { afterEach, expect, test, vi } from "vitest";
import { internal } from "./_generated/api";
import { ATTEMPT_CHECK_AFTER_MS } from "./model/webhooks/events";
import { call, runScheduled, setupBackend } from "./test.setup";

// The pool's record of an attempt can fail (so the pool loses the job's outcome).
const faults = vi.hoisted(() => ({ failRecording: 0 }));
vi.mock("./model/webhooks/delivery", async (importOriginal) => {
  const original = await importOriginal<typeof import("./model/webhooks/delivery")>();
  return {
    ...original,
    recordAttempt: async (...args: Parameters<typeof original.recordAttempt>) => {
      if (faults.failRecording > 0) {
        faults.failRecording -= 1;
        throw new Error("recording failed");
      }
      return await original.recordAttempt(...args);
    },
  };
});

afterEach(() => {
  vi.unstubAllGlobals();
});

test("an attempt whose outcome the pool lost is enqueued again by the watchdog, same webhook-id", async () => {
  const t = setupBackend();
  const ids: string[] = [];
  vi.stubGlobal("fetch", (_: RequestInfo | URL, init?: RequestInit) => {
    ids.push(new Headers(init?.headers).get("webhook-id") ?? "");
    return Promise.resolve(new Response("ok"));
  });
  const { id } = (
    await call(t, "POST", "/webhooks", {
      body: { url: "https://hooks.example.com/x", events: ["payment.labeled"] },
    })
  ).body.webhook;
  // The outcome cannot be recorded: inline, then in the pool's retry of onComplete.
  faults.failRecording = 2;
  await call(t, "POST", `/webhooks/${id}/test`);
  // Not overdue yet: nothing to do.
  expect(await t.mutation(internal.webhookDelivery.watchdog, {})).toEqual({ recovered: 0 });
  await runScheduled(t);
  expect(faults.failRecording).toBe(0);
  expect(ids).toHaveLength(1);
  const pending = await t.run(async (ctx) => await ctx.db.query("webhookDeliveries").take(10));
  expect(pending.map((d) => d.status)).toEqual(["pending"]);

  vi.advanceTimersByTime(ATTEMPT_CHECK_AFTER_MS + 1);
  expect(await t.mutation(internal.webhookDelivery.watchdog, {})).toEqual({ recovered: 1 });
  // The new job is alive: a second run leaves it alone.
  expect(await t.mutation(internal.webhookDelivery.watchdog, {})).toEqual({ recovered: 0 });
  await runScheduled(t);
  expect(ids).toHaveLength(2);
  expect(ids[1]).toBe(ids[0]);
  const settled = await t.run(async (ctx) => await ctx.db.query("webhookDeliveries").take(10));
  expect(settled.map((d) => [d.status, d.attempts, d.checkAt])).toEqual([
    ["delivered", 1, undefined],
  ]);
  expect(await t.mutation(internal.webhookDelivery.watchdog, {})).toEqual({ recovered: 0 });
});
