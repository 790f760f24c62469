import { MAX_ASSIGNEE_LENGTH, MAX_NOTE_LENGTH } from "../model/reviews/reviews";
import { z } from "zod";
import { convexToZod } from "convex-helpers/server/zod4";
import type { Resolution } from "../model/reviews/validators";
import { reviewView } from "../model/reviews/validators";
import { cursorParam, limitParam } from "./schemas";

/** The review endpoints' query string, bodies and responses. */

export const listReviewsQuery = z.strictObject({
  status: z.enum(["open", "approved", "declined"]).default("open"),
  limit: limitParam,
  cursor: cursorParam.optional(),
});

export const assignReviewBody = z
  .strictObject({
    assignee: z
      .string()
      .trim()
      .min(1)
      .max(MAX_ASSIGNEE_LENGTH)
      .meta({ description: "Who works on it (an analyst's name or e-mail)." }),
  })
  .meta({ id: "AssignReview" });

export const resolveReviewBody = z
  .strictObject({
    outcome: z.enum(["approve", "decline"]).meta({
      description: "approve: finalDecision allow, label legitimate; decline: block, fraud.",
    }),
    note: z.string().trim().min(1).max(MAX_NOTE_LENGTH).optional(),
  })
  .meta({ id: "ResolveReview" });

void ({} as z.output<typeof resolveReviewBody> satisfies Resolution);

export const reviewSchema = convexToZod(reviewView).meta({ id: "Review" });
export const reviewEnvelope = z.object({ review: reviewSchema });
export const reviewPageEnvelope = z.object({
  data: z.array(reviewSchema),
  nextCursor: z.string().nullable(),
});
