import { Webhook } from "standardwebhooks";
import { afterEach, expect, test, vi } from "vitest";
import { DELIVERY_TIMEOUT_MS, nextAttemptAt, WEBHOOK_RETRY } from "./retry";
import { attemptDelivery } from "./send";

const SECRET = `whsec_${btoa("0123456789abcdef01234567")}`;
const input = { url: "https://hooks.example.com/x", secret: SECRET, eventId: "evt_1", body: "{}" };

afterEach(() => {
  vi.useRealTimers();
});

test("an answer later than 10 s is a failed attempt; a 2xx in time is a delivery", async () => {
  vi.useFakeTimers();
  // Honours the abort signal, as the real fetch does, and never answers otherwise.
  const silent = ((_: RequestInfo | URL, init?: RequestInit) =>
    new Promise<Response>((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () =>
        reject(new DOMException("aborted", "AbortError")),
      );
    })) as typeof fetch;
  const pending = attemptDelivery(input, silent);
  await vi.advanceTimersByTimeAsync(DELIVERY_TIMEOUT_MS - 1);
  let settled = false;
  void pending.then(() => (settled = true));
  await Promise.resolve();
  expect(settled).toBe(false);
  await vi.advanceTimersByTimeAsync(1);
  expect(await pending).toMatchObject({ ok: false, error: "no answer within 10 s" });

  let headers: Headers | null = null;
  let redirect: RequestRedirect | undefined;
  const ok = ((_: RequestInfo | URL, init?: RequestInit) => {
    headers = new Headers(init?.headers);
    redirect = init?.redirect;
    return Promise.resolve(new Response(null, { status: 204 }));
  }) as typeof fetch;
  expect(await attemptDelivery(input, ok)).toMatchObject({ ok: true, responseCode: 204 });
  expect(redirect).toBe("manual");
  const sent: Record<string, string> = {};
  headers!.forEach((value, key) => (sent[key] = value));
  expect(new Webhook(SECRET).verify("{}", sent)).toEqual({});

  const down = (() => Promise.reject(new TypeError("connection refused"))) as typeof fetch;
  expect(await attemptDelivery(input, down)).toMatchObject({
    ok: false,
    error: "connection refused",
  });
});

test("the schedule grows exponentially with bounded jitter and ends within 24 hours", () => {
  for (const random of [0, 0.5, 0.999]) {
    let now = 0;
    let failures = 0;
    const waits: number[] = [];
    for (;;) {
      failures += 1;
      const next = nextAttemptAt(0, now, failures, random);
      if (next === null) break;
      waits.push(next - now);
      now = next;
    }
    expect(now).toBeLessThanOrEqual(WEBHOOK_RETRY.windowMs);
    expect(failures).toBeGreaterThanOrEqual(8);
    expect(failures).toBeLessThanOrEqual(14);
    const factor = 1 + WEBHOOK_RETRY.jitter * (2 * random - 1);
    expect(waits[0]).toBe(Math.round(WEBHOOK_RETRY.initialBackoffMs * factor));
    expect(waits[1]).toBe(Math.round(WEBHOOK_RETRY.initialBackoffMs * WEBHOOK_RETRY.base * factor));
    expect(Math.max(...waits)).toBeLessThanOrEqual(WEBHOOK_RETRY.maxBackoffMs * factor + 1);
  }
});
