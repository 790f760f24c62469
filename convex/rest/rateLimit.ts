import { MINUTE, RateLimiter } from "@convex-dev/rate-limiter";
import { components } from "../_generated/api";
import { rateLimitPerMinute } from "../config";
import type { Client } from "./apiKeys";
import { ApiError } from "./errors";
import type { HttpCtx } from "./route";

const rateLimiter = new RateLimiter(components.rateLimiter);

/**
 * Takes one token from the API key's bucket (`RATE_LIMIT_PER_MINUTE` per minute,
 * bursts up to the same number); a 429 with `Retry-After` when it is empty. Buckets
 * are keyed by the key's fingerprint, so raw keys are never stored.
 */
export async function enforceRateLimit(ctx: HttpCtx, client: Client): Promise<void> {
  const rate = rateLimitPerMinute();
  const status = await rateLimiter.limit(ctx, "apiKey", {
    key: client.fingerprint,
    config: { kind: "token bucket", rate, period: MINUTE, capacity: rate },
  });
  if (!status.ok) {
    const seconds = Math.max(1, Math.ceil(status.retryAfter / 1000));
    throw new ApiError(
      429,
      "rate_limited",
      `Too many requests; retry in ${seconds} s.`,
      undefined,
      { "Retry-After": String(seconds) },
    );
  }
}
