/// <reference types="vite/client" />
import batchWorker from "@convex-dev/batch-worker/test";
import migrations from "@convex-dev/migrations/test";
import rateLimiter from "@convex-dev/rate-limiter/test";
import workpool from "@convex-dev/workpool/test";
import { convexTest, type TestConvex } from "convex-test";
import { vi } from "vitest";
import type { StoredFraudResult } from "./model/payments/validators";
import { API_PREFIX } from "./rest/constants";
import schema from "./schema";

/** Every Convex module, as the deployment would load it (tests and this file excluded). */
export const modules = import.meta.glob([
  "./**/*.*s",
  "!./**/*.test.*s",
  "!./**/*.setup.*s",
  "!./**/*.d.ts",
]);

export const API_KEY = "test-key";
export const OTHER_API_KEY = "second-key";

/** The components `convex.config.ts` installs, registered with their own test helpers. */
export function registerComponents(t: TestConvex<typeof schema>): void {
  rateLimiter.register(t);
  workpool.register(t, "scoringPool");
  workpool.register(t, "explanationPool");
  workpool.register(t, "webhookPool");
  batchWorker.register(t, "historyFolder");
  migrations.register(t);
}

/** The environment every test backend starts with: the tests' API keys, no rate limiting. */
export function stubTestEnv(env: Record<string, string> = {}): void {
  vi.stubEnv("API_KEYS", `${API_KEY},${OTHER_API_KEY}`);
  vi.stubEnv("RATE_LIMIT_PER_MINUTE", "100000");
  vi.stubEnv("POOL_LOG_LEVEL", "WARN");
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
}

/**
 * A fresh backend on stock convex-test with the app's components and real Convex transaction
 * limits. Timers are faked, so background jobs (scoring, explanations) run only when a test
 * advances them (`runScheduled`, `stepScheduled`). Tests that need volume run in the `system`
 * project instead, on the local engine (`system/setup.ts`).
 */
export function setupBackend(env: Record<string, string> = {}) {
  vi.useFakeTimers();
  stubTestEnv(env);
  const t = convexTest({ schema, modules, transactionLimits: true });
  registerComponents(t);
  return t;
}

export type Backend = TestConvex<typeof schema>;

export type ApiResponse = { status: number; headers: Headers; body: any };

type RequestOptions = {
  body?: unknown;
  /** Raw body text, sent as is (for malformed JSON). */
  rawBody?: string;
  headers?: Record<string, string>;
  /** API key to send; `null` sends none. */
  key?: string | null;
};

/** Calls the REST API the way an HTTP client would and parses the JSON answer. */
export async function call(
  t: Backend,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? API_KEY : options.key;
  if (key !== null) headers.Authorization ??= `Bearer ${key}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers["Content-Type"] ??= "application/json";
  const response = await t.fetch(`${API_PREFIX}${path}`, { method, headers, body });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text.length > 0 ? JSON.parse(text) : null,
  };
}

/**
 * A fraud result for payments a test stores directly (history, volume, legacy data), where the
 * result itself is not what the test is about. `fields` overrides parts of it.
 */
export function storedFraud(fields: Partial<StoredFraudResult> = {}): StoredFraudResult {
  return {
    score: 1,
    probability: 0.01,
    decision: "allow",
    reasons: [],
    attributionMethod: "test",
    models: { logistic: { probability: 0.01 }, neural: { probability: 0.01 } },
    features: {},
    modelVersion: "test",
    scoredAt: 0,
    latencyMs: 0,
    ...fields,
  };
}

let userCounter = 0;

/** Creates a user through the API and returns its id. */
export async function createUser(
  t: Backend,
  fields: Record<string, unknown> = {},
): Promise<string> {
  userCounter += 1;
  const res = await call(t, "POST", "/users", {
    body: {
      name: `Customer ${userCounter}`,
      email: `customer${userCounter}@example.com`,
      ...fields,
    },
  });
  if (res.status !== 201) throw new Error(`user creation failed: ${JSON.stringify(res.body)}`);
  return res.body.user.id as string;
}

/** Posts a payment through the API and returns the response. */
export async function postPayment(
  t: Backend,
  fields: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  return await call(t, "POST", "/transactions", {
    body: { amount: 42.5, terminalId: "T1", ...fields },
    headers,
  });
}

/**
 * Runs every scheduled function, and those they schedule, to completion (fake timers). A
 * payment's jobs take a few dozen generations through the pools (their loops poll while they
 * cool down), and concurrent tests interleave many, hence the generous bound.
 */
export async function runScheduled(t: Backend): Promise<void> {
  await t.finishAllScheduledFunctions(() => vi.runAllTimers(), 10_000);
}

/**
 * Runs only the scheduled functions that are due now, one generation at a time, so a
 * test can observe each step of a pipeline (fake timers).
 */
export async function stepScheduled(t: Backend): Promise<void> {
  vi.advanceTimersByTime(0);
  await t.finishInProgressScheduledFunctions();
}

/** A Hugging Face chat-completion answer, as the inference router sends it. */
export function chatCompletionResponse(content: unknown): Response {
  return new Response(
    JSON.stringify({
      id: "chatcmpl-test",
      object: "chat.completion",
      created: 1,
      model: "meta-llama/Llama-3.1-8B-Instruct",
      choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }],
      usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 },
    }),
    { status: 200, headers: { "Content-Type": "application/json" } },
  );
}

/** The replay driver's API client, on this backend's HTTP router. */
export function apiClientFor(t: Backend) {
  return {
    async request(method: string, path: string, body?: unknown, headers?: Record<string, string>) {
      const res = await call(t, method, path, { body, headers });
      return { status: res.status, body: res.body as unknown, headers: res.headers };
    },
  };
}
