import { Workpool, type RetryBehavior } from "@convex-dev/workpool";
import { components } from "../_generated/api";
import { poolLogLevel, poolParallelism } from "../config";

/**
 * The background pools (components registered in `convex.config.ts`). Each kind of job has its
 * own pool, its parallelism from configuration and one retry behaviour, as data:
 *
 * | pool          | job                         | attempts | backoff before retries |
 * | ------------- | --------------------------- | -------- | ---------------------- |
 * | `scoring`     | `fraud/scoringAction.score` | 3        | 1 s, 2 s               |
 * | `explanations`| `fraud/explaining.explain`  | 2        | 2 s                    |
 *
 * A job's `onComplete` records its outcome in the payment; the watchdog (`watchdog.ts`) covers
 * what a pool can lose.
 */

/** Scoring is deterministic apart from infrastructure faults: retry those a couple of times. */
export const SCORING_RETRY: RetryBehavior = { maxAttempts: 3, initialBackoffMs: 1_000, base: 2 };
/** An LLM answer that failed twice is replaced by the template. */
export const EXPLANATION_RETRY: RetryBehavior = {
  maxAttempts: 2,
  initialBackoffMs: 2_000,
  base: 2,
};

/** The scoring pool, configured as the deployment says now. */
export function scoringPool(): Workpool {
  return new Workpool(components.scoringPool, {
    maxParallelism: poolParallelism().scoring,
    logLevel: poolLogLevel(),
    retryActionsByDefault: true,
    defaultRetryBehavior: SCORING_RETRY,
  });
}

/** The explanation pool, configured as the deployment says now. */
export function explanationPool(): Workpool {
  return new Workpool(components.explanationPool, {
    maxParallelism: poolParallelism().explanations,
    logLevel: poolLogLevel(),
    retryActionsByDefault: true,
    defaultRetryBehavior: EXPLANATION_RETRY,
  });
}
