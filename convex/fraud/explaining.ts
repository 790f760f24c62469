import { vOnCompleteArgs, type WorkId } from "@convex-dev/workpool";
import { ConvexError, v, type Infer } from "convex/values";
import { internal } from "../_generated/api";
import {
  internalAction,
  internalMutation,
  internalQuery,
  type MutationCtx,
} from "../_generated/server";
import { llmSettings } from "../config";
import { recordExplanation } from "../model/payments/lifecycle";
import { locatePayment, type ScoredPayment } from "../model/payments/locate";
import { explanationSource } from "../model/payments/validators";
import { askLlm } from "./llm";
import { explanationPool } from "./pools";
import { explanationFacts, templateExplanation, type ExplanationFacts } from "./template";

/**
 * The explanation job: a plain-language explanation of a recorded decision, by the LLM when
 * `HF_TOKEN` is set, by the template otherwise. The decision is already stored; this only adds
 * to it, once (first writer wins). When the LLM fails for good, `onComplete` writes the template,
 * so every scored payment gets an explanation.
 */

/** What the explanation job returns to the pool. */
export const explanationOutcome = v.union(
  v.object({
    kind: v.literal("written"),
    text: v.string(),
    source: explanationSource,
    model: v.optional(v.string()),
  }),
  /** The payment is gone or already explained. */
  v.object({ kind: v.literal("skipped") }),
);
export type ExplanationOutcome = Infer<typeof explanationOutcome>;

/** Enqueues the explanation of a payment being scored in this same mutation. */
export async function enqueueExplanation(ctx: MutationCtx, paymentId: string): Promise<WorkId> {
  return await explanationPool().enqueueAction(
    ctx,
    internal.fraud.explaining.explain,
    { paymentId },
    { onComplete: internal.fraud.explaining.recordOutcome, context: { paymentId } },
  );
}

function factsOf(
  payment: Pick<ScoredPayment, "amount" | "currency">,
  fraud: Pick<ScoredPayment["fraud"], "decision" | "score" | "reasons">,
): ExplanationFacts {
  const { decision, score, reasons } = fraud;
  return { amount: payment.amount, currency: payment.currency, decision, score, reasons };
}

/** The template explanation's fields on a fraud result, for a decision being recorded. */
export function templateFields(
  payment: Pick<ScoredPayment, "amount" | "currency">,
  fraud: Pick<ScoredPayment["fraud"], "decision" | "score" | "reasons">,
) {
  return {
    explanation: templateExplanation(factsOf(payment, fraud)),
    explanationSource: "template" as const,
    explainedAt: Date.now(),
  };
}

/** The template explanation of a scored payment, unless it is explained already. */
export async function writeTemplateExplanation(
  ctx: MutationCtx,
  doc: ScoredPayment,
): Promise<boolean> {
  return await recordExplanation(ctx, doc, {
    text: templateExplanation(factsOf(doc, doc.fraud)),
    source: "template",
  });
}

/** What the explanation may say: the decision and its reasons, or `null` if already explained. */
export const input = internalQuery({
  args: { paymentId: v.string() },
  returns: v.union(explanationFacts, v.null()),
  handler: async (ctx, { paymentId }) => {
    const located = await locatePayment(ctx, paymentId);
    if (!located || located.table !== "transactions") return null;
    if (located.doc.fraud.explanation !== undefined) return null;
    return factsOf(located.doc, located.doc.fraud);
  },
});

/** The job: asks the LLM (or writes the template without `HF_TOKEN`); a failed answer throws. */
export const explain = internalAction({
  args: { paymentId: v.string() },
  returns: explanationOutcome,
  handler: async (ctx, { paymentId }): Promise<ExplanationOutcome> => {
    const facts = await ctx.runQuery(internal.fraud.explaining.input, { paymentId });
    if (!facts) return { kind: "skipped" };
    const settings = llmSettings();
    if (!settings) return { kind: "written", text: templateExplanation(facts), source: "template" };
    const answer = await askLlm(facts, settings);
    if (!answer.ok) {
      // Retryable: the pool asks again; after its last attempt `recordOutcome` writes the template.
      throw new ConvexError({
        code: `llm_${answer.failure}`,
        message: "the LLM gave no explanation",
      });
    }
    return { kind: "written", text: answer.text, source: "llm", model: settings.model };
  },
});

/** The explanation pool's `onComplete`: stores the answer, or the template when the job failed. */
export const recordOutcome = internalMutation({
  args: vOnCompleteArgs(v.object({ paymentId: v.string() }), explanationOutcome),
  returns: v.null(),
  handler: async (ctx, { context: { paymentId }, result }) => {
    if (result.kind === "success" && result.returnValue.kind === "skipped") return null;
    const located = await locatePayment(ctx, paymentId);
    if (!located || located.table !== "transactions") return null;
    if (result.kind === "success" && result.returnValue.kind === "written") {
      await recordExplanation(ctx, located.doc, result.returnValue);
    } else {
      await writeTemplateExplanation(ctx, located.doc);
    }
    return null;
  },
});
