import { v } from "convex/values";
import { internal } from "../_generated/api";
import { internalAction } from "../_generated/server";
import { llmSettings } from "../config";
import { explain } from "./explanation";

/**
 * Writes a scored payment's plain-language explanation: the LLM when `HF_TOKEN` is set,
 * the template otherwise or when the call fails. The decision is already recorded; this
 * only adds to it, once.
 */
export const explainPayment = internalAction({
  args: { paymentId: v.string() },
  returns: v.null(),
  handler: async (ctx, { paymentId }) => {
    const facts = await ctx.runQuery(internal.fraud.pipeline.explanationInput, { paymentId });
    if (!facts) return null; // deleted, or already explained
    const explanation = await explain(facts, llmSettings());
    await ctx.runMutation(internal.fraud.pipeline.recordExplanation, {
      paymentId,
      text: explanation.text,
      source: explanation.source,
      model: explanation.model,
    });
    return null;
  },
});
