import { v, type Infer } from "convex/values";
import { decision, type Decision } from "../ml/decision";
import { reason } from "../ml/reasons";
import { RULE_REASON_PREFIX } from "../model/rules/validators";

/** The facts an explanation may use, and nothing else. */
export const explanationFacts = v.object({
  amount: v.number(),
  currency: v.string(),
  decision,
  score: v.number(),
  reasons: v.array(reason),
});
export type ExplanationFacts = Infer<typeof explanationFacts>;

/** Upper bound on the stored explanation, whoever wrote it. */
export const MAX_EXPLANATION_CHARS = 600;

const DECISION_WORDS: Record<Decision, string> = {
  allow: "was allowed",
  review: "was sent for manual review",
  block: "was blocked",
};

/** `612.40 EUR`. */
export function money(amount: number, currency: string): string {
  return `${amount.toFixed(2)} ${currency}`;
}

/** A deterministic explanation written from the reasons alone. */
export function templateExplanation(facts: ExplanationFacts): string {
  // A deciding rule leads the reasons (`model/rules/apply.ts`): the head names it.
  const rule = facts.reasons[0]?.feature.startsWith(RULE_REASON_PREFIX) ? facts.reasons[0] : null;
  const head = rule
    ? `This payment of ${money(facts.amount, facts.currency)} was ${rule.text}; its fraud risk score is ${facts.score}/100.`
    : `This payment of ${money(facts.amount, facts.currency)} ${DECISION_WORDS[facts.decision]} with a fraud risk score of ${facts.score}/100.`;
  const raising = facts.reasons.filter((r) => r.contribution > 0).map((r) => r.text);
  const lowering = facts.reasons.filter((r) => r.contribution < 0).map((r) => r.text);
  const parts = [head];
  if (raising.length > 0) parts.push(`Risk went up because ${joinClauses(raising)}.`);
  if (lowering.length > 0) parts.push(`Risk went down because ${joinClauses(lowering)}.`);
  if (raising.length === 0 && lowering.length === 0) {
    parts.push("No single factor stood out.");
  }
  return boundExplanation(parts.join(" "));
}

function joinClauses(clauses: string[]): string {
  if (clauses.length <= 1) return clauses.join("");
  return `${clauses.slice(0, -1).join("; ")} and ${clauses[clauses.length - 1]}`;
}

/** Trims to {@link MAX_EXPLANATION_CHARS}, at a sentence end when there is one. */
export function boundExplanation(text: string): string {
  const clean = text.replace(/\s+/g, " ").trim();
  if (clean.length <= MAX_EXPLANATION_CHARS) return clean;
  const cut = clean.slice(0, MAX_EXPLANATION_CHARS);
  const lastStop = cut.lastIndexOf(". ");
  return lastStop > MAX_EXPLANATION_CHARS / 2 ? cut.slice(0, lastStop + 1) : `${cut.slice(0, -1)}…`;
}
