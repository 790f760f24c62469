import { expect, vi } from "vitest";
import { call, type Backend } from "../test.setup";

/** Helpers of the webhook tests: a receiver in the test process, endpoints, deliveries. */

export type Received = { url: string; headers: Record<string, string>; body: string; at: number };

/**
 * A receiver in the test process, as `fetch`: records every request and answers with what
 * `answer` says (default 200).
 */
export function receiver(answer: (request: Received, index: number) => number = () => 200) {
  const received: Received[] = [];
  const impl = ((input: RequestInfo | URL, init?: RequestInit) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => (headers[key] = value));
    const request = {
      url: input instanceof Request ? input.url : String(input),
      headers,
      body: typeof init?.body === "string" ? init.body : "",
      at: Date.now(),
    };
    received.push(request);
    const status = answer(request, received.length - 1);
    return Promise.resolve(
      new Response(status === 204 ? null : "ok", {
        status,
        headers: status >= 300 && status < 400 ? { Location: "https://elsewhere.example" } : {},
      }),
    );
  }) as typeof fetch;
  vi.stubGlobal("fetch", impl);
  return received;
}

export const URL_OK = "https://hooks.example.com/fraud";

export async function createWebhook(t: Backend, body: Record<string, unknown> = {}) {
  const res = await call(t, "POST", "/webhooks", {
    body: {
      url: URL_OK,
      events: ["payment.scored", "review.opened", "review.resolved", "payment.labeled"],
      ...body,
    },
  });
  expect(res.status).toBe(201);
  return res.body.webhook as { id: string; secret: string };
}

export async function deliveries(t: Backend) {
  return await t.run(async (ctx) => await ctx.db.query("webhookDeliveries").take(5000));
}
