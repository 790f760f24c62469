import { InferenceClient, InferenceClientProviderOutputError } from "@huggingface/inference";
import type { Decision, Reason } from "../model/validators";

/** The facts an explanation may use, and nothing else. */
export type ExplanationFacts = {
  amount: number;
  currency: string;
  decision: Decision;
  score: number;
  reasons: Reason[];
};

export type LlmSettings = {
  token: string;
  model: string;
  /** Hugging Face inference provider, or "auto" to let the router choose. */
  provider: string;
  timeoutMs: number;
  /** Injected in tests; defaults to the global fetch. */
  fetch?: typeof fetch;
};

export type Explanation = {
  text: string;
  source: "llm" | "template";
  /** The LLM that wrote it, when one did. */
  model?: string;
  /** Why the template was used instead of the LLM. */
  fallbackReason?: "no_token" | "http_error" | "timeout" | "malformed_answer" | "empty_answer";
};

export const DEFAULT_LLM_MODEL = "meta-llama/Llama-3.1-8B-Instruct";
export const DEFAULT_LLM_PROVIDER = "auto";
export const DEFAULT_LLM_TIMEOUT_MS = 8_000;
/** Upper bound on the stored explanation, whoever wrote it. */
export const MAX_EXPLANATION_CHARS = 600;
const MAX_TOKENS = 180;

const DECISION_WORDS: Record<Decision, string> = {
  allow: "was allowed",
  review: "was sent for manual review",
  block: "was blocked",
};

function money(amount: number, currency: string): string {
  return `${amount.toFixed(2)} ${currency}`;
}

/** A deterministic explanation written from the reasons alone. */
export function templateExplanation(facts: ExplanationFacts): string {
  const head = `This payment of ${money(facts.amount, facts.currency)} ${DECISION_WORDS[facts.decision]} with a fraud risk score of ${facts.score}/100.`;
  const raising = facts.reasons.filter((r) => r.contribution > 0).map((r) => r.text);
  const lowering = facts.reasons.filter((r) => r.contribution < 0).map((r) => r.text);
  const parts = [head];
  if (raising.length > 0) parts.push(`Risk went up because ${joinClauses(raising)}.`);
  if (lowering.length > 0) parts.push(`Risk went down because ${joinClauses(lowering)}.`);
  if (raising.length === 0 && lowering.length === 0) {
    parts.push("No single factor stood out.");
  }
  return bound(parts.join(" "));
}

function joinClauses(clauses: string[]): string {
  if (clauses.length <= 1) return clauses.join("");
  return `${clauses.slice(0, -1).join("; ")} and ${clauses[clauses.length - 1]}`;
}

/** Trims to {@link MAX_EXPLANATION_CHARS}, at a sentence end when there is one. */
function bound(text: string): string {
  const clean = text.replace(/\s+/g, " ").trim();
  if (clean.length <= MAX_EXPLANATION_CHARS) return clean;
  const cut = clean.slice(0, MAX_EXPLANATION_CHARS);
  const lastStop = cut.lastIndexOf(". ");
  return lastStop > MAX_EXPLANATION_CHARS / 2 ? cut.slice(0, lastStop + 1) : `${cut.slice(0, -1)}…`;
}

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
 * Writes the explanation with the LLM when a token is configured, falling back to the
 * template on any failure (HTTP error, timeout, empty or malformed answer), so a
 * payment always gets one.
 */
export async function explain(
  facts: ExplanationFacts,
  settings: LlmSettings | null,
): Promise<Explanation> {
  const fallback = (reason: Explanation["fallbackReason"]): Explanation => ({
    text: templateExplanation(facts),
    source: "template",
    fallbackReason: reason,
  });
  if (!settings) return fallback("no_token");

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), settings.timeoutMs);
  try {
    const client = new InferenceClient(settings.token, {
      fetch: settings.fetch,
      retry_on_error: false,
    });
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
    if (text.length === 0) return fallback("empty_answer");
    return { text: bound(text), source: "llm", model: settings.model };
  } catch (error) {
    if (controller.signal.aborted) return fallback("timeout");
    return fallback(
      error instanceof InferenceClientProviderOutputError ? "malformed_answer" : "http_error",
    );
  } finally {
    clearTimeout(timer);
  }
}
