"use node";
import { v } from "convex/values";
import { internal } from "../_generated/api";
import { internalAction } from "../_generated/server";
import { committedArtifact } from "../ml/artifact";
import { assessPayment } from "../ml/scorer";
import { scoringFailure, scoringOutcome, type ScoringOutcome } from "./scoring";

/**
 * The scoring job, run by the scoring pool: one query for the payment and its history, the
 * models, and the outcome returned to the pool, whose `onComplete` records it. It writes
 * nothing itself, so dying anywhere leaves the payment untouched for the next attempt. Runs in
 * Node because TF.js needs it; the network is loaded once per process.
 */
export const score = internalAction({
  args: { paymentId: v.string() },
  returns: scoringOutcome,
  handler: async (ctx, { paymentId }): Promise<ScoringOutcome> => {
    const input = await ctx.runQuery(internal.fraud.scoring.input, { paymentId });
    if (input.kind !== "ready") return input;
    let assessment;
    try {
      assessment = await assessPayment(committedArtifact, input);
    } catch (error) {
      // Retryable: the pool runs the job again, and reports `scoring_error` after the last try.
      throw scoringFailure(
        "scoring_error",
        error instanceof Error ? error.message : "scoring failed",
      );
    }
    if (!Object.values(assessment.features).every(Number.isFinite)) {
      return { kind: "failed", code: "invalid_input", message: "a feature is not a finite number" };
    }
    return { kind: "scored", assessment, scoredAt: Date.now() };
  },
});
