import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { internalMutation, internalQuery } from "./_generated/server";
import { enqueueScoring, scheduleHandover } from "./fraud/scoring";
import {
  analystMutation,
  analystQuery,
  paymentApiMutation,
  paymentApiQuery,
  viewerQuery,
} from "./functions";
import { decision } from "./ml/decision";
import { canRead } from "./model/access";
import { auditActor } from "./model/audit/validators";
import { fail } from "./model/errors";
import { applyFeedback } from "./model/payments/feedback";
import { deletePayment, stagePayment, updatePaymentDetails } from "./model/payments/lifecycle";
import { listPayments } from "./model/payments/list";
import { locatePayment } from "./model/payments/locate";
import {
  descriptiveChanges,
  feedbackLabel,
  idempotency,
  paymentPage,
  paymentStatus,
  paymentSubmission,
  paymentView,
} from "./model/payments/validators";
import { toPaymentPage, toPaymentView } from "./model/payments/view";

const paginationResult = v.object({
  page: v.array(paymentView),
  isDone: v.boolean(),
  continueCursor: v.string(),
});

/**
 * A payment by its public id, for `useQuery`: it follows the payment from
 * `pending` to `scored` (and its explanation) live. Analysts see every payment,
 * a customer only its own; anything else reads as `null`.
 */
export const get = viewerQuery({
  args: { id: v.string() },
  returns: v.union(paymentView, v.null()),
  handler: async (ctx, { id }) => {
    const located = await locatePayment(ctx, id);
    if (!located || !canRead(ctx.viewer, located.doc.userId)) return null;
    return toPaymentView(located.doc);
  },
});

/** A customer's payments, newest first, for `usePaginatedQuery`. */
export const listForUser = viewerQuery({
  args: { userId: v.id("users"), paginationOpts: paginationOptsValidator },
  returns: paginationResult,
  handler: async (ctx, { userId, paginationOpts }) => {
    if (!canRead(ctx.viewer, userId)) fail("forbidden", "You may only list your own payments.");
    return await listPayments(ctx, { userId }, paginationOpts);
  },
});

/**
 * The dashboard's live feed (analysts only): every payment, newest first, through the helper
 * behind `GET /transactions`. `status` and `decision` narrow it by index (a decision only
 * scored payments have), so every page is full. Reads about `numItems` documents per table.
 */
export const feed = analystQuery({
  args: {
    status: v.optional(paymentStatus),
    decision: v.optional(decision),
    paginationOpts: paginationOptsValidator,
  },
  returns: paginationResult,
  handler: async (ctx, { status, decision, paginationOpts }) =>
    await listPayments(
      ctx,
      decision === undefined ? { status } : { status, decision },
      paginationOpts,
    ),
});

/**
 * Labels a payment from the dashboard (analysts only), with the same helper as
 * `POST /transactions/{id}/feedback`; the analyst's identity is the audit actor.
 */
export const label = analystMutation({
  args: { id: v.string(), label: feedbackLabel },
  returns: paymentView,
  handler: async (ctx, { id, label }) => {
    const located = await locatePayment(ctx, id);
    if (!located) fail("not_found", "Transaction not found.");
    const actor = { kind: "identity" as const, tokenIdentifier: ctx.analyst.tokenIdentifier };
    return toPaymentView(await applyFeedback(ctx, located, label, actor));
  },
});

// The functions below serve the REST API, which checks the API key first.

/**
 * Stages a payment and, in the same transaction, enqueues its scoring, or, when the request
 * decides it itself (`decideInline`), schedules the hand-over to the pool in case it does not.
 */
export const createForApi = internalMutation({
  args: {
    input: paymentSubmission,
    idempotency: v.union(idempotency, v.null()),
    decideInline: v.boolean(),
  },
  returns: v.object({ transaction: paymentView, created: v.boolean() }),
  handler: async (ctx, { input, idempotency, decideInline }) => {
    const userId = ctx.db.normalizeId("users", input.userId);
    if (!userId) {
      fail("user_not_found", "The user does not exist.", [
        { field: "userId", message: "no user with this id" },
      ]);
    }
    const { payment, created } = await stagePayment(ctx, { ...input, userId }, idempotency);
    if (created && payment.status !== "scored") {
      if (decideInline) await scheduleHandover(ctx, payment);
      else await enqueueScoring(ctx, payment);
    }
    return { transaction: toPaymentView(payment), created };
  },
});

export const getForApi = paymentApiQuery({
  args: {},
  returns: paymentView,
  handler: (ctx) => Promise.resolve(toPaymentView(ctx.payment.doc)),
});

export const listForApi = internalQuery({
  args: {
    userId: v.optional(v.string()),
    status: v.optional(paymentStatus),
    limit: v.number(),
    cursor: v.union(v.string(), v.null()),
    /** When set, a user that does not exist is a 404 rather than an empty list. */
    requireUser: v.boolean(),
  },
  returns: paymentPage,
  handler: async (ctx, { userId: rawUserId, status, limit, cursor, requireUser }) => {
    let userId = undefined;
    if (rawUserId !== undefined) {
      userId = ctx.db.normalizeId("users", rawUserId);
      const exists = userId !== null && (await ctx.db.get("users", userId)) !== null;
      if (!exists) {
        if (requireUser) fail("not_found", "User not found.");
        return { data: [], nextCursor: null };
      }
    }
    const result = await listPayments(
      ctx,
      { userId: userId ?? undefined, status },
      { numItems: limit, cursor },
    );
    return toPaymentPage(result);
  },
});

export const updateForApi = paymentApiMutation({
  args: { changes: descriptiveChanges },
  returns: paymentView,
  handler: async (ctx, { changes }) =>
    toPaymentView(await updatePaymentDetails(ctx, ctx.payment, changes)),
});

export const deleteForApi = paymentApiMutation({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    await deletePayment(ctx, ctx.payment);
    return null;
  },
});

/** Records feedback (a label) and its audit event; `actor` names the API key. */
export const labelForApi = paymentApiMutation({
  args: { label: feedbackLabel, actor: auditActor },
  returns: paymentView,
  handler: async (ctx, { label, actor }) =>
    toPaymentView(await applyFeedback(ctx, ctx.payment, label, actor)),
});
