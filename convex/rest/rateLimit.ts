import { MINUTE, RateLimiter } from "@convex-dev/rate-limiter";
import { components } from "../_generated/api";
import { rateLimitPerMinute } from "../config";
import type { Client } from "./apiKeys";
import { ApiError } from "./errors";
import type { HttpCtx } from "./route";

const rateLimiter = new RateLimiter(components.rateLimiter);

/** Shards of a key's bucket: enough that no one document takes every request of a busy key. */
const MAX_SHARDS = 16;
/** The rate limiter's advice: at least ~10 tokens per shard, or shards refuse too early. */
const TOKENS_PER_SHARD = 10;

/**
 * Shards for a rate: 16 at the default 600 a minute (each shard then takes about 1 request in
 * 16), fewer for small rates, 1 below 20 a minute (exact limits for tiny budgets).
 */
export function shardsFor(ratePerMinute: number): number {
  return Math.max(1, Math.min(MAX_SHARDS, Math.floor(ratePerMinute / TOKENS_PER_SHARD)));
}

/**
 * Takes one token from the API key's bucket (`RATE_LIMIT_PER_MINUTE` per minute,
 * bursts up to the same number); a 429 with `Retry-After` when it is empty. Buckets
 * are keyed by the key's fingerprint, so raw keys are never stored, and sharded
 * (`shardsFor`), so concurrent requests of one key rarely write the same document.
 */
export async function enforceRateLimit(ctx: HttpCtx, client: Client): Promise<void> {
  const rate = rateLimitPerMinute();
  const status = await rateLimiter.limit(ctx, "apiKey", {
    key: client.fingerprint,
    config: { kind: "token bucket", rate, period: MINUTE, capacity: rate, shards: shardsFor(rate) },
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
