import { mergedStream, stream } from "convex-helpers/server/stream";
import type { Doc } from "../../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../../_generated/server";
import schema from "../../schema";
import { recordAudit } from "../audit/audit";
import type { AuditActor } from "../audit/validators";
import { fail } from "../errors";
import { applyFeedback } from "../payments/feedback";
import { locatePayment, type ScoredPayment } from "../payments/locate";
import { toPaymentView } from "../payments/view";
import { emitEvent } from "../webhooks/events";
import type { ReviewOutcome } from "../payments/validators";
import type { Resolution, ReviewPage, ReviewStatus, ReviewView } from "./validators";

/**
 * The review queue's rules, shared by the REST API (`reviews.*ForApi`) and the dashboard's
 * analyst functions (`reviews.queue`, `get`, `assign`, `resolve`): one implementation.
 */

export type ReviewDoc = Doc<"reviews">;

const SCORING: AuditActor = { kind: "system", name: "scoring" };

/** What each verdict means for the payment. */
const VERDICT: Record<
  ReviewOutcome,
  { status: ReviewStatus; finalDecision: "allow" | "block"; label: "legitimate" | "fraud" }
> = {
  approve: { status: "approved", finalDecision: "allow", label: "legitimate" },
  decline: { status: "declined", finalDecision: "block", label: "fraud" },
};

/** The snapshot the audit trail keeps of a review. */
function snapshot(review: ReviewDoc) {
  const { _id, _creationTime: _created, resolvedBy: _by, ...fields } = review;
  return fields;
}

/**
 * Opens the review of a payment decided `review`, unless it has one: a retried or duplicated
 * scoring never opens a second. Runs in the mutation that records the decision. Returns the
 * new review, or `null` when there was one already. Reads at most 1 review.
 */
export async function openReview(
  ctx: MutationCtx,
  payment: ScoredPayment,
): Promise<ReviewDoc | null> {
  const existing = await ctx.db
    .query("reviews")
    .withIndex("by_paymentId", (q) => q.eq("paymentId", payment.paymentId))
    .first();
  if (existing || payment.review) return null;
  const id = await ctx.db.insert("reviews", {
    paymentId: payment.paymentId,
    status: "open",
    openedAt: Date.now(),
  });
  await ctx.db.patch("transactions", payment._id, { review: { id, status: "open" } });
  const review = (await ctx.db.get("reviews", id))!;
  await recordAudit(ctx, {
    actor: SCORING,
    action: "review.opened",
    target: { type: "review", id },
    before: null,
    after: snapshot(review),
  });
  return review;
}

/** A review by its untrusted id; `not_found` when there is none. */
export async function requireReview(ctx: QueryCtx, id: string): Promise<ReviewDoc> {
  const reviewId = ctx.db.normalizeId("reviews", id);
  const review = reviewId ? await ctx.db.get("reviews", reviewId) : null;
  if (!review) fail("not_found", "Review not found.");
  return review;
}

/** A review as shown, with its payment (reads at most 2 payment documents). */
export async function toReviewView(ctx: QueryCtx, review: ReviewDoc): Promise<ReviewView> {
  const located = await locatePayment(ctx, review.paymentId);
  return {
    id: review._id,
    paymentId: review.paymentId,
    status: review.status,
    openedAt: review.openedAt,
    assignee: review.assignee ?? null,
    resolvedAt: review.resolvedAt ?? null,
    resolvedBy: review.resolvedBy ?? null,
    outcome: review.outcome ?? null,
    note: review.note ?? null,
    payment: located ? toPaymentView(located.doc) : null,
  };
}

function requireOpen(review: ReviewDoc): void {
  if (review.status !== "open") {
    fail("review_closed", `The review is already ${review.status}.`);
  }
}

/** Assigns (or reassigns) an open review; `review_closed` once resolved. */
/** Limits of the free-text fields, the same for the REST bodies and the analyst functions. */
export const MAX_ASSIGNEE_LENGTH = 200;
export const MAX_NOTE_LENGTH = 2000;

/** `value` trimmed, or `validation_failed` when it is empty or longer than `max`. */
function checkedText(field: string, value: string, max: number): string {
  const text = value.trim();
  if (text.length === 0 || text.length > max) {
    fail("validation_failed", `${field} must be 1 to ${max} characters.`, [
      { field, message: `1 to ${max} characters` },
    ]);
  }
  return text;
}

export async function assignReview(
  ctx: MutationCtx,
  review: ReviewDoc,
  assignee: string,
  actor: AuditActor,
): Promise<ReviewDoc> {
  requireOpen(review);
  assignee = checkedText("assignee", assignee, MAX_ASSIGNEE_LENGTH);
  await ctx.db.patch("reviews", review._id, { assignee });
  await recordAudit(ctx, {
    actor,
    action: "review.assigned",
    target: { type: "review", id: review._id },
    before: { assignee: review.assignee ?? null },
    after: { assignee },
  });
  return (await ctx.db.get("reviews", review._id))!;
}

/** What resolving changed, for the caller's events. */
export type Resolved = { review: ReviewDoc; labeled: boolean };

/**
 * Resolves an open review once (`review_closed` after): the review's verdict, the payment's
 * `review` and `finalDecision`, and its label through the feedback helper (with the same effect
 * on later features) unless the payment already has one, and the `review.resolved` webhook
 * event. A deleted payment leaves only the review to close.
 */
export async function resolveReview(
  ctx: MutationCtx,
  review: ReviewDoc,
  { outcome, note: rawNote }: Resolution,
  actor: AuditActor,
): Promise<Resolved> {
  requireOpen(review);
  const note = rawNote === undefined ? undefined : checkedText("note", rawNote, MAX_NOTE_LENGTH);
  const verdict = VERDICT[outcome];
  await ctx.db.patch("reviews", review._id, {
    status: verdict.status,
    outcome,
    note,
    resolvedAt: Date.now(),
    resolvedBy: actor,
  });
  const resolved = (await ctx.db.get("reviews", review._id))!;
  await recordAudit(ctx, {
    actor,
    action: "review.resolved",
    target: { type: "review", id: review._id },
    before: snapshot(review),
    after: snapshot(resolved),
  });
  let labeled = false;
  const located = await locatePayment(ctx, review.paymentId);
  if (located?.table === "transactions") {
    await ctx.db.patch("transactions", located.doc._id, {
      review: { id: review._id, status: verdict.status, outcome },
      finalDecision: verdict.finalDecision,
    });
    // After the verdict, so the `payment.labeled` event shows the payment's final decision.
    if (located.doc.label === undefined) {
      await applyFeedback(ctx, located, verdict.label, actor);
      labeled = true;
    }
  }
  await emitEvent(ctx, "review.resolved", await toReviewView(ctx, resolved));
  return { review: resolved, labeled };
}

/**
 * One page of reviews by status: the `open` queue oldest first, `approved` and `declined` newest
 * first. The cursor is `[openedAt or resolvedAt, _creationTime, _id]`. Reads at most
 * `numItems` (+1) reviews and 2 payment documents per review.
 */
export async function listReviews(
  ctx: QueryCtx,
  status: ReviewStatus,
  page: { numItems: number; cursor: string | null },
): Promise<ReviewPage> {
  const db = stream(ctx.db, schema).query("reviews");
  const result =
    status === "open"
      ? await mergedStream(
          [db.withIndex("by_status_and_openedAt", (q) => q.eq("status", "open")).order("asc")],
          ["openedAt"],
        ).paginate(page)
      : await mergedStream(
          [db.withIndex("by_status_and_resolvedAt", (q) => q.eq("status", status)).order("desc")],
          ["resolvedAt"],
        ).paginate(page);
  const data: ReviewView[] = [];
  for (const review of result.page) data.push(await toReviewView(ctx, review));
  return { data, nextCursor: result.isDone ? null : result.continueCursor };
}

/** The open queue for `usePaginatedQuery`, oldest first (Convex's own cursors). */
export async function openQueue(
  ctx: QueryCtx,
  paginationOpts: { numItems: number; cursor: string | null },
): Promise<{ page: ReviewView[]; isDone: boolean; continueCursor: string }> {
  const result = await ctx.db
    .query("reviews")
    .withIndex("by_status_and_openedAt", (q) => q.eq("status", "open"))
    .order("asc")
    .paginate(paginationOpts);
  const page: ReviewView[] = [];
  for (const review of result.page) page.push(await toReviewView(ctx, review));
  return { page, isDone: result.isDone, continueCursor: result.continueCursor };
}
