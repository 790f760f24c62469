import { afterEach, expect, test, vi } from "vitest";
import type { LlmSettings } from "../config";
import { chatCompletionResponse } from "../test.setup";
import { askLlm } from "./llm";
import { MAX_EXPLANATION_CHARS, templateExplanation, type ExplanationFacts } from "./template";

const facts: ExplanationFacts = {
  amount: 612.4,
  currency: "EUR",
  decision: "block",
  score: 93,
  reasons: [
    {
      feature: "AMOUNT_TO_CUSTOMER_AVG_30DAY",
      value: 6.2,
      contribution: 2.1,
      text: "the amount is 6.2x this customer's 30-day average",
    },
    {
      feature: "TERMINAL_ID_RISK_7DAY_WINDOW",
      value: 0.25,
      contribution: 1.4,
      text: "25% of this terminal's payments in the week before last were confirmed fraud",
    },
    {
      feature: "CUSTOMER_ID_NB_TX_30DAY_WINDOW",
      value: 41,
      contribution: -0.3,
      text: "the customer made 41 payments in the last 30 days",
    },
  ],
};

type Call = { url: string; body: any; headers: Headers };

function settings(overrides: Partial<LlmSettings> = {}): LlmSettings {
  return {
    token: "hf_test",
    model: "meta-llama/Llama-3.1-8B-Instruct",
    provider: "auto",
    timeoutMs: 8_000,
    ...overrides,
  };
}

function recordingFetch(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const impl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const call = {
      url: input instanceof Request ? input.url : input.toString(),
      body: JSON.parse(typeof init?.body === "string" ? init.body : "{}"),
      headers: new Headers(init?.headers),
    };
    calls.push(call);
    if (init?.signal?.aborted) throw new DOMException("aborted", "AbortError");
    return await respond(call);
  }) as typeof fetch;
  return { impl, calls };
}

const completion = chatCompletionResponse;

afterEach(() => {
  vi.useRealTimers();
});

test("the LLM gets only the facts, with every reason, and its answer is used", async () => {
  const { impl, calls } = recordingFetch(() =>
    completion("**The payment was blocked** because the amount was far above normal."),
  );
  const result = await askLlm(facts, settings(), impl);
  expect(result).toEqual({
    ok: true,
    text: "The payment was blocked because the amount was far above normal.",
  });
  expect(calls).toHaveLength(1);
  const [call] = calls;
  expect(call.url).toContain("/chat/completions");
  expect(call.headers.get("authorization")).toBe("Bearer hf_test");
  expect(call.body.model).toContain("Llama-3.1-8B-Instruct");
  expect(call.body.max_tokens).toBeLessThanOrEqual(200);
  const [system, user] = call.body.messages;
  expect(system.content).toMatch(/only the facts/i);
  expect(system.content).toMatch(/do not invent/i);
  const data = JSON.parse(user.content);
  expect(data).toEqual({
    amount: "612.40 EUR",
    decision: "block",
    riskScore: "93/100",
    reasons: facts.reasons.map((r) => ({
      factor: r.text,
      value: r.value,
      effect: r.contribution > 0 ? "raises risk" : "lowers risk",
    })),
  });
});

test("an HTTP 500 is an http_error, after one call", async () => {
  const { impl, calls } = recordingFetch(
    () => new Response(JSON.stringify({ error: "boom" }), { status: 500 }),
  );
  expect(await askLlm(facts, settings(), impl)).toEqual({ ok: false, failure: "http_error" });
  expect(calls).toHaveLength(1);
});

test("a call slower than the timeout is abandoned", async () => {
  vi.useFakeTimers();
  const { impl } = recordingFetch(
    () => new Promise<Response>(() => undefined), // never answers
  );
  // The fetch must honour the abort signal, as the real one does.
  const abortable = ((input: RequestInfo | URL, init?: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      init?.signal?.addEventListener("abort", () =>
        reject(new DOMException("aborted", "AbortError")),
      );
      impl(input, init).then(resolve, reject);
    })) as typeof fetch;
  const pending = askLlm(facts, settings({ timeoutMs: 8_000 }), abortable);
  await vi.advanceTimersByTimeAsync(7_999);
  let settled = false;
  void pending.then(() => (settled = true));
  await Promise.resolve();
  expect(settled).toBe(false);
  await vi.advanceTimersByTimeAsync(1);
  expect(await pending).toEqual({ ok: false, failure: "timeout" });
});

test("a malformed or empty answer is a failure", async () => {
  const malformed = recordingFetch(
    () => new Response(JSON.stringify({ unexpected: true }), { status: 200 }),
  );
  expect(await askLlm(facts, settings(), malformed.impl)).toEqual({
    ok: false,
    failure: "malformed_answer",
  });
  const empty = recordingFetch(() => completion("   "));
  expect(await askLlm(facts, settings(), empty.impl)).toEqual({
    ok: false,
    failure: "empty_answer",
  });
  const notText = recordingFetch(() => completion(null));
  expect((await askLlm(facts, settings(), notText.impl)).ok).toBe(false);
});

test("the template names the decision, the score and each reason", () => {
  expect(templateExplanation(facts)).toBe(
    "This payment of 612.40 EUR was blocked with a fraud risk score of 93/100. " +
      "Risk went up because the amount is 6.2x this customer's 30-day average and 25% of this " +
      "terminal's payments in the week before last were confirmed fraud. Risk went down because " +
      "the customer made 41 payments in the last 30 days.",
  );
  expect(templateExplanation({ ...facts, decision: "allow", reasons: [] })).toBe(
    "This payment of 612.40 EUR was allowed with a fraud risk score of 93/100. No single factor stood out.",
  );
});

test("long answers are bounded", async () => {
  const { impl } = recordingFetch(() => completion("A very long sentence. ".repeat(100)));
  const result = await askLlm(facts, settings(), impl);
  if (!result.ok) throw new Error(`no answer: ${result.failure}`);
  expect(result.text.length).toBeLessThanOrEqual(MAX_EXPLANATION_CHARS);
  expect(result.text.endsWith(".")).toBe(true);
});
