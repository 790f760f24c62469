import { defineApp } from "convex/server";
import { v } from "convex/values";
import rateLimiter from "@convex-dev/rate-limiter/convex.config.js";
import batchWorker from "@convex-dev/batch-worker/convex.config.js";
import migrations from "@convex-dev/migrations/convex.config.js";
import workpool from "@convex-dev/workpool/convex.config.js";

/**
 * The app: its components and the environment variables it reads (all optional;
 * see the README's configuration table for defaults).
 */
const app = defineApp({
  env: {
    API_KEYS: v.optional(v.string()),
    RATE_LIMIT_PER_MINUTE: v.optional(v.string()),
    CORS_ORIGINS: v.optional(v.string()),
    SCORING_PARALLELISM: v.optional(v.string()),
    EXPLANATION_PARALLELISM: v.optional(v.string()),
    POOL_LOG_LEVEL: v.optional(v.string()),
    WEBHOOK_PARALLELISM: v.optional(v.string()),
    WEBHOOK_ALLOW_LOCALHOST: v.optional(v.string()),
    HF_TOKEN: v.optional(v.string()),
    HF_MODEL: v.optional(v.string()),
    HF_PROVIDER: v.optional(v.string()),
    HF_TIMEOUT_MS: v.optional(v.string()),
    AUTH_ISSUER: v.optional(v.string()),
    AUTH_JWKS_URL: v.optional(v.string()),
    AUTH_APPLICATION_ID: v.optional(v.string()),
    AUTH_ALGORITHM: v.optional(v.string()),
  },
});
app.use(rateLimiter);
// Background jobs: one pool per kind, so slow LLM calls never hold the slots scoring needs.
app.use(workpool, { name: "scoringPool" });
app.use(workpool, { name: "explanationPool" });
// Webhook attempts: a slow receiver never holds the slots scoring needs.
app.use(workpool, { name: "webhookPool" });
// The history folder: one serial loop that adds payments to the window buckets.
app.use(batchWorker, { name: "historyFolder" });
// Online data migrations (convex/migrations.ts).
app.use(migrations);

export default app;
