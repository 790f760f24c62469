import { env } from "./_generated/server";
import {
  DEFAULT_LLM_MODEL,
  DEFAULT_LLM_PROVIDER,
  DEFAULT_LLM_TIMEOUT_MS,
  type LlmSettings,
} from "./fraud/explanation";

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

/**
 * The LLM that writes explanations, or `null` without `HF_TOKEN` (then a template writes
 * them). `HF_MODEL` (default Llama 3.1 8B Instruct), `HF_PROVIDER` (default `auto`) and
 * `HF_TIMEOUT_MS` (default 8000) tune it.
 */
export function llmSettings(): LlmSettings | null {
  const token = env.HF_TOKEN?.trim();
  if (!token) return null;
  return {
    token,
    model: env.HF_MODEL?.trim() || DEFAULT_LLM_MODEL,
    provider: env.HF_PROVIDER?.trim() || DEFAULT_LLM_PROVIDER,
    timeoutMs: positiveInt(env.HF_TIMEOUT_MS, DEFAULT_LLM_TIMEOUT_MS),
  };
}
