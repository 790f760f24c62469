import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { internalMutation, internalQuery, type MutationCtx } from "./_generated/server";
import { analystMutation, analystQuery } from "./functions";
import { auditActor, type AuditActor } from "./model/audit/validators";
import {
  assignReview,
  listReviews,
  openQueue,
  requireReview,
  resolveReview,
  toReviewView,
} from "./model/reviews/reviews";
import {
  resolution,
  reviewPage,
  reviewStatus,
  reviewView,
  type Resolution,
  type ReviewView,
} from "./model/reviews/validators";

/**
 * The review queue: the dashboard's analyst functions and the internal functions the REST API
 * calls. Both go through the same helpers (`model/reviews/reviews.ts`) and differ only in who
 * the actor is: the API key, or the analyst's identity.
 */

async function assignAndShow(
  ctx: MutationCtx,
  id: string,
  assignee: string,
  actor: AuditActor,
): Promise<ReviewView> {
  const review = await assignReview(ctx, await requireReview(ctx, id), assignee, actor);
  return await toReviewView(ctx, review);
}

async function resolveAndShow(
  ctx: MutationCtx,
  id: string,
  verdict: Resolution,
  actor: AuditActor,
): Promise<ReviewView> {
  const { review } = await resolveReview(ctx, await requireReview(ctx, id), verdict, actor);
  return await toReviewView(ctx, review);
}

const identity = (tokenIdentifier: string): AuditActor => ({ kind: "identity", tokenIdentifier });

/** The open queue, oldest first, for `usePaginatedQuery` (analysts only). */
export const queue = analystQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: v.object({ page: v.array(reviewView), isDone: v.boolean(), continueCursor: v.string() }),
  handler: async (ctx, { paginationOpts }) => await openQueue(ctx, paginationOpts),
});

/** One review with its payment, or `null` (analysts only). */
export const get = analystQuery({
  args: { id: v.string() },
  returns: v.union(reviewView, v.null()),
  handler: async (ctx, { id }) => {
    const reviewId = ctx.db.normalizeId("reviews", id);
    const review = reviewId ? await ctx.db.get("reviews", reviewId) : null;
    return review ? await toReviewView(ctx, review) : null;
  },
});

/** Assigns an open review (analysts only); the identity is the audit actor. */
export const assign = analystMutation({
  args: { id: v.string(), assignee: v.string() },
  returns: reviewView,
  handler: async (ctx, { id, assignee }) =>
    await assignAndShow(ctx, id, assignee, identity(ctx.analyst.tokenIdentifier)),
});

/** Resolves an open review once (analysts only); `resolvedBy` is the identity. */
export const resolve = analystMutation({
  args: { id: v.string(), ...resolution.fields },
  returns: reviewView,
  handler: async (ctx, { id, outcome, note }) =>
    await resolveAndShow(ctx, id, { outcome, note }, identity(ctx.analyst.tokenIdentifier)),
});

// The functions below serve the REST API, which checks the API key first.

export const listForApi = internalQuery({
  args: { status: reviewStatus, limit: v.number(), cursor: v.union(v.string(), v.null()) },
  returns: reviewPage,
  handler: async (ctx, { status, limit, cursor }) =>
    await listReviews(ctx, status, { numItems: limit, cursor }),
});

export const getForApi = internalQuery({
  args: { id: v.string() },
  returns: reviewView,
  handler: async (ctx, { id }) => await toReviewView(ctx, await requireReview(ctx, id)),
});

export const assignForApi = internalMutation({
  args: { id: v.string(), assignee: v.string(), actor: auditActor },
  returns: reviewView,
  handler: async (ctx, { id, assignee, actor }) => await assignAndShow(ctx, id, assignee, actor),
});

export const resolveForApi = internalMutation({
  args: { id: v.string(), resolution, actor: auditActor },
  returns: reviewView,
  handler: async (ctx, { id, resolution, actor }) =>
    await resolveAndShow(ctx, id, resolution, actor),
});
