import { Webhook } from "standardwebhooks";
import { DELIVERY_TIMEOUT_MS } from "./retry";
import type { AttemptOutcome } from "./validators";

/** The Standard Webhooks headers of one attempt, signed with the endpoint's secret. */
export function signedHeaders(
  secret: string,
  msgId: string,
  body: string,
  at: Date,
): Record<string, string> {
  return {
    "content-type": "application/json",
    "user-agent": "fraud-backend-webhooks/1",
    "webhook-id": msgId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(msgId, at, body),
  };
}

/**
 * One delivery attempt: POSTs the signed body and reports what happened. Only a 2xx answer
 * within {@link DELIVERY_TIMEOUT_MS} counts; redirects are not followed (a 3xx is a failure).
 * Never throws: every fault becomes a failed outcome.
 */
export async function attemptDelivery(
  input: { url: string; secret: string; eventId: string; body: string },
  fetchImpl: typeof fetch = fetch,
): Promise<Extract<AttemptOutcome, { kind: "attempted" }>> {
  const startedAt = Date.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), DELIVERY_TIMEOUT_MS);
  try {
    const response = await fetchImpl(input.url, {
      method: "POST",
      headers: signedHeaders(input.secret, input.eventId, input.body, new Date(startedAt)),
      body: input.body,
      redirect: "manual",
      signal: controller.signal,
    });
    // The body is not needed; release the connection.
    await response.body?.cancel().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return {
      kind: "attempted",
      ok,
      responseCode: response.status,
      ...(ok ? {} : { error: response.status < 400 ? "redirect not followed" : "non-2xx answer" }),
      startedAt,
      finishedAt: Date.now(),
    };
  } catch (error) {
    const timedOut = controller.signal.aborted;
    return {
      kind: "attempted",
      ok: false,
      error: timedOut
        ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`
        : (error instanceof Error ? error.message : "request failed").slice(0, 300),
      startedAt,
      finishedAt: Date.now(),
    };
  } finally {
    clearTimeout(timer);
  }
}
