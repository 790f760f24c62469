import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { zodOutputToConvex } from "convex-helpers/server/zod4";
import { internalMutation, internalQuery, query } from "./_generated/server";
import { canRead, requireViewer } from "./model/access";
import { fail } from "./model/errors";
import {
  deletePayment,
  labelPayment,
  listPayments,
  locatePayment,
  stagePayment,
  toPaymentPage,
  toPaymentView,
  updatePaymentDetails,
} from "./model/payments";
import { feedbackLabel, paymentPage, paymentStatus, paymentView } from "./model/validators";
import { createTransactionBody, updateTransactionBody } from "./rest/schemas";

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
export const get = query({
  args: { id: v.string() },
  returns: v.union(paymentView, v.null()),
  handler: async (ctx, { id }) => {
    const viewer = await requireViewer(ctx);
    const located = await locatePayment(ctx, id);
    if (!located || !canRead(viewer, located.doc.userId)) return null;
    return toPaymentView(located.doc);
  },
});

/** A customer's payments, newest first, for `usePaginatedQuery`. */
export const listForUser = query({
  args: { userId: v.id("users"), paginationOpts: paginationOptsValidator },
  returns: paginationResult,
  handler: async (ctx, { userId, paginationOpts }) => {
    const viewer = await requireViewer(ctx);
    if (!canRead(viewer, userId)) fail("forbidden", "You may only list your own payments.");
    return await listPayments(ctx, { userId }, paginationOpts);
  },
});

// The functions below serve the REST API (which checks the API key first).

export const createForApi = internalMutation({
  args: {
    input: zodOutputToConvex(createTransactionBody),
    idempotency: v.union(v.object({ key: v.string(), requestHash: v.string() }), v.null()),
  },
  returns: v.object({ transaction: paymentView, created: v.boolean() }),
  handler: async (ctx, { input, idempotency }) => {
    const userId = ctx.db.normalizeId("users", input.userId);
    if (!userId) {
      fail("user_not_found", "The user does not exist.", [
        { field: "userId", message: "no user with this id" },
      ]);
    }
    const { payment, created } = await stagePayment(ctx, { ...input, userId }, idempotency);
    return { transaction: toPaymentView(payment), created };
  },
});

export const getForApi = internalQuery({
  args: { id: v.string() },
  returns: v.union(paymentView, v.null()),
  handler: async (ctx, { id }) => {
    const located = await locatePayment(ctx, id);
    return located ? toPaymentView(located.doc) : null;
  },
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

export const updateForApi = internalMutation({
  args: { id: v.string(), changes: zodOutputToConvex(updateTransactionBody) },
  returns: paymentView,
  handler: async (ctx, { id, changes }) =>
    toPaymentView(await updatePaymentDetails(ctx, id, changes)),
});

export const deleteForApi = internalMutation({
  args: { id: v.string() },
  returns: v.boolean(),
  handler: async (ctx, { id }) => await deletePayment(ctx, id),
});

export const labelForApi = internalMutation({
  args: { id: v.string(), label: feedbackLabel },
  returns: paymentView,
  handler: async (ctx, { id, label }) => toPaymentView(await labelPayment(ctx, id, label)),
});
