"use node";
import { v } from "convex/values";
import artifactJson from "../../models/fraud-model.json";
import { internal } from "../_generated/api";
import { internalAction } from "../_generated/server";
import { assessPayment } from "./assess";
import { HistoryTooDenseError } from "./history";
import type { FraudModelArtifact } from "./model";

/** The committed model; the network inside is loaded once per process (see `network.ts`). */
const artifact = artifactJson as unknown as FraudModelArtifact;

/**
 * Scores one staged payment: one query for the payment and its history, the models, one
 * mutation for the result. Failures it can see are reported for a retry; if it dies
 * silently, the sweeper notices. Runs in Node because TF.js needs it.
 */
export const scorePayment = internalAction({
  args: { paymentId: v.string(), attempt: v.number() },
  returns: v.null(),
  handler: async (ctx, { paymentId, attempt }) => {
    const input = await ctx.runQuery(internal.fraud.pipeline.scoringInput, { paymentId });
    if (!input) return null; // deleted, or already scored by another attempt
    let fraud;
    try {
      fraud = await assessPayment(artifact, input);
    } catch (error) {
      await ctx.runMutation(internal.fraud.pipeline.recordFailure, {
        paymentId,
        attempt,
        code: error instanceof HistoryTooDenseError ? error.code : "scoring_error",
        message: error instanceof Error ? error.message.slice(0, 300) : "scoring failed",
      });
      return null;
    }
    await ctx.runMutation(internal.fraud.pipeline.recordScore, { paymentId, fraud });
    return null;
  },
});
