import { v, type Infer } from "convex/values";
import { auditActor } from "../audit/validators";
import { paymentView, reviewOutcome, reviewStatus } from "../payments/validators";

export {
  reviewOutcome,
  reviewStatus,
  type ReviewOutcome,
  type ReviewStatus,
} from "../payments/validators";

export const reviewFields = {
  /** The reviewed payment's public id (it is scored: reviews open on `review` decisions). */
  paymentId: v.string(),
  status: reviewStatus,
  openedAt: v.number(),
  assignee: v.optional(v.string()),
  resolvedAt: v.optional(v.number()),
  resolvedBy: v.optional(auditActor),
  outcome: v.optional(reviewOutcome),
  note: v.optional(v.string()),
};

/** A review as the API and the dashboard show it, with its payment as `GET /transactions/{id}`. */
export const reviewView = v.object({
  id: v.id("reviews"),
  paymentId: v.string(),
  status: reviewStatus,
  openedAt: v.number(),
  assignee: v.union(v.string(), v.null()),
  resolvedAt: v.union(v.number(), v.null()),
  resolvedBy: v.union(auditActor, v.null()),
  outcome: v.union(reviewOutcome, v.null()),
  note: v.union(v.string(), v.null()),
  /** `null` if the payment was deleted since. */
  payment: v.union(paymentView, v.null()),
});
export type ReviewView = Infer<typeof reviewView>;

export const reviewPage = v.object({
  data: v.array(reviewView),
  nextCursor: v.union(v.string(), v.null()),
});
export type ReviewPage = Infer<typeof reviewPage>;

export const resolution = v.object({ outcome: reviewOutcome, note: v.optional(v.string()) });
export type Resolution = Infer<typeof resolution>;
