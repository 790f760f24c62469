import { InferenceClient, InferenceClientProviderOutputError } from "@huggingface/inference";
import type { LlmSettings } from "../config";
import { boundExplanation, money, type ExplanationFacts } from "./template";

/** Why the LLM gave no usable explanation. */
export type LlmFailure = "http_error" | "timeout" | "malformed_answer" | "empty_answer";

export type LlmAnswer = { ok: true; text: string } | { ok: false; failure: LlmFailure };

const MAX_TOKENS = 180;

/** The chat messages sent to the LLM: the facts as data, and the rule to use nothing else. */
export function explanationPrompt(facts: ExplanationFacts) {
  const data = {
    amount: money(facts.amount, facts.currency),
    decision: facts.decision,
    riskScore: `${facts.score}/100`,
    reasons: facts.reasons.map((r) => ({
      factor: r.text,
      value: Number(r.value.toPrecision(4)),
      effect: r.contribution > 0 ? "raises risk" : "lowers risk",
    })),
  };
  return [
    {
      role: "system" as const,
      content:
        "You explain card-payment fraud decisions to a customer-support agent. " +
        "Use only the facts in the JSON you are given: the amount, the decision, the risk score and " +
        "the listed reasons with their values. Do not invent any other fact, number, cause, or advice " +
        "about the customer. Write two or three short plain-language sentences (at most 80 words), " +
        "no lists, no markdown.",
    },
    { role: "user" as const, content: JSON.stringify(data) },
  ];
}

/**
 * Asks the LLM (Hugging Face chat completion) to explain a decision from its facts, within
 * `settings.timeoutMs`. Never throws: a failure says what went wrong, and the caller decides
 * whether to retry or to write the template.
 */
export async function askLlm(
  facts: ExplanationFacts,
  settings: LlmSettings,
  fetchImpl: typeof fetch = fetch,
): Promise<LlmAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), settings.timeoutMs);
  try {
    const client = new InferenceClient(settings.token, { fetch: fetchImpl, retry_on_error: false });
    const answer = await client.chatCompletion(
      {
        model: settings.model,
        provider: settings.provider as "auto",
        messages: explanationPrompt(facts),
        max_tokens: MAX_TOKENS,
        temperature: 0.2,
      },
      { signal: controller.signal },
    );
    const content: unknown = answer?.choices?.[0]?.message?.content;
    const text = typeof content === "string" ? content.replace(/[*#`]/g, "").trim() : "";
    if (text.length === 0) return { ok: false, failure: "empty_answer" };
    return { ok: true, text: boundExplanation(text) };
  } catch (error) {
    if (controller.signal.aborted) return { ok: false, failure: "timeout" };
    return {
      ok: false,
      failure:
        error instanceof InferenceClientProviderOutputError ? "malformed_answer" : "http_error",
    };
  } finally {
    clearTimeout(timer);
  }
}
