import { env } from "./_generated/server";

/**
 * Deployment settings, read from Convex environment variables
 * (`npx convex env set NAME value`). Read per call, never cached, so a changed
 * variable takes effect without a redeploy. Every variable is declared in
 * `convex.config.ts`; the README's configuration table lists the defaults.
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

/** One accepted API key and the name the audit trail gives whoever uses it (`null`: unnamed). */
export type ApiKeyEntry = { name: string | null; key: string };

const KEY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * API keys accepted by the REST API (`API_KEYS`, comma-separated). An entry `name:key` names its
 * key (the text before the first `:`, letters, digits, `_`, `.`, `-`), so the audit trail says
 * who acted; a plain `key` is named by its fingerprint. None set: every request is refused.
 */
export function apiKeys(): ApiKeyEntry[] {
  return list(env.API_KEYS).map((entry) => {
    const colon = entry.indexOf(":");
    const name = colon > 0 ? entry.slice(0, colon) : "";
    if (KEY_NAME.test(name) && colon < entry.length - 1) {
      return { name, key: entry.slice(colon + 1) };
    }
    return { name: null, key: entry };
  });
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
 * How many jobs each background pool runs at once (`SCORING_PARALLELISM`, default 4;
 * `EXPLANATION_PARALLELISM`, default 2). Convex's Starter plan runs 8 scheduled functions at
 * once; the defaults leave room for the pools' own loops and the crons, and the explanation
 * pool, whose LLM calls take seconds, can never hold the slots scoring needs.
 */
export function poolParallelism(): { scoring: number; explanations: number } {
  return {
    scoring: positiveInt(env.SCORING_PARALLELISM, 4),
    explanations: positiveInt(env.EXPLANATION_PARALLELISM, 2),
  };
}

/** How many webhook attempts run at once (`WEBHOOK_PARALLELISM`, default 2). */
export function webhookParallelism(): number {
  return positiveInt(env.WEBHOOK_PARALLELISM, 2);
}

/**
 * Whether webhooks may point at `http(s)://localhost` and `127.0.0.1`
 * (`WEBHOOK_ALLOW_LOCALHOST=true`; for local mode, where a developer's receiver runs).
 * Private and link-local addresses are refused regardless.
 */
export function webhookAllowLocalhost(): boolean {
  return env.WEBHOOK_ALLOW_LOCALHOST?.trim().toLowerCase() === "true";
}

/** How much the pools log (`POOL_LOG_LEVEL`: DEBUG, INFO, REPORT (default), WARN, ERROR). */
export function poolLogLevel(): "DEBUG" | "INFO" | "REPORT" | "WARN" | "ERROR" {
  const level = env.POOL_LOG_LEVEL?.trim().toUpperCase();
  return level === "DEBUG" || level === "INFO" || level === "WARN" || level === "ERROR"
    ? level
    : "REPORT";
}

export const DEFAULT_LLM_MODEL = "meta-llama/Llama-3.1-8B-Instruct";
export const DEFAULT_LLM_PROVIDER = "auto";
export const DEFAULT_LLM_TIMEOUT_MS = 8_000;

/** The LLM that writes explanations; `null` without `HF_TOKEN` (then a template writes them). */
export type LlmSettings = {
  token: string;
  model: string;
  /** Hugging Face inference provider, or "auto" to let the router choose. */
  provider: string;
  timeoutMs: number;
};

/**
 * The LLM that writes explanations, or `null` without `HF_TOKEN`. `HF_MODEL` (default Llama 3.1
 * 8B Instruct), `HF_PROVIDER` (default `auto`) and `HF_TIMEOUT_MS` (default 8000) tune it.
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
