import { env } from "./_generated/server";

/**
 * Deployment settings, read from Convex environment variables
 * (`npx convex env set NAME value`). Read per call, never cached, so a changed
 * variable takes effect without a redeploy.
 */

function positiveInt(raw: string | undefined, fallback: number): number {
  const value = Number(raw);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

function list(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** API keys accepted by the REST API (`API_KEYS`, comma-separated). None set: every request is refused. */
export function apiKeys(): string[] {
  return list(env.API_KEYS);
}

/** Token-bucket rate per API key (`RATE_LIMIT_PER_MINUTE`, default 600). */
export function rateLimitPerMinute(): number {
  return positiveInt(env.RATE_LIMIT_PER_MINUTE, 600);
}

/** Browser origins allowed by CORS (`CORS_ORIGINS`, comma-separated, default `*`). */
export function corsOrigins(): string[] {
  const origins = list(env.CORS_ORIGINS);
  return origins.length > 0 ? origins : ["*"];
}
