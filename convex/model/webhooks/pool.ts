import { Workpool } from "@convex-dev/workpool";
import { components } from "../../_generated/api";
import { poolLogLevel, webhookParallelism } from "../../config";

/**
 * The webhook pool (`webhookPool` in `convex.config.ts`), in the pattern of `fraud/pools.ts`.
 * One job is one attempt; the pool never retries it: the job's `onComplete`
 * (`webhookDelivery.recordOutcome`) records the attempt and enqueues the next one on the
 * schedule of `retry.ts`, so every attempt is recorded and the schedule spans 24 hours.
 */
export function webhookPool(): Workpool {
  return new Workpool(components.webhookPool, {
    maxParallelism: webhookParallelism(),
    logLevel: poolLogLevel(),
    retryActionsByDefault: false,
  });
}
