/**
 * The delivery schedule, as data: attempt 1 at once, then after each failure an exponential
 * backoff (5 s, 20 s, 80 s, … capped at 6 h) with ±20 % jitter, until the next attempt would
 * start more than 24 h after the first; then the delivery is `failed`. About 11 attempts.
 */
export const WEBHOOK_RETRY = {
  initialBackoffMs: 5_000,
  base: 4,
  maxBackoffMs: 6 * 3_600_000,
  /** Each delay is scaled by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: 0.2,
  /** No attempt starts later than this after the first. */
  windowMs: 24 * 3_600_000,
} as const;

/** After this many deliveries in a row end `failed`, the endpoint is disabled. */
export const MAX_CONSECUTIVE_FAILURES = 20;

/** A 2xx answer within this time is a delivery. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * When the attempt after `failedAttempts` failures is due, or `null` when the schedule is
 * exhausted. `random` is in [0, 1).
 */
export function nextAttemptAt(
  firstAttemptAt: number,
  now: number,
  failedAttempts: number,
  random: number,
  schedule: typeof WEBHOOK_RETRY = WEBHOOK_RETRY,
): number | null {
  const backoff = Math.min(
    schedule.initialBackoffMs * schedule.base ** (failedAttempts - 1),
    schedule.maxBackoffMs,
  );
  const delay = Math.round(backoff * (1 + schedule.jitter * (2 * random - 1)));
  const at = now + delay;
  return at - firstAttemptAt > schedule.windowMs ? null : at;
}
