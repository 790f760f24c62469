import { v } from "convex/values";
import { internalMutation } from "./_generated/server";
import { userApiMutation, userApiQuery, viewerQuery } from "./functions";
import { canRead } from "./model/access";
import { fail } from "./model/errors";
import { deleteUserDataBatch, userHasPayments } from "./model/payments/lifecycle";
import { createUser, toUserView, updateUser } from "./model/users/users";
import { newUser, userChanges, userView } from "./model/users/validators";

/** Payments deleted per mutation when a user is deleted with `cascade`. */
export const CASCADE_BATCH_SIZE = 256;

/** A user, for `useQuery`: analysts see any user, a customer only itself. */
export const get = viewerQuery({
  args: { id: v.id("users") },
  returns: v.union(userView, v.null()),
  handler: async (ctx, { id }) => {
    if (!canRead(ctx.viewer, id)) return null;
    const user = await ctx.db.get("users", id);
    return user ? toUserView(user) : null;
  },
});

// The functions below serve the REST API, which checks the API key first.

export const getForApi = userApiQuery({
  args: {},
  returns: userView,
  handler: (ctx) => Promise.resolve(toUserView(ctx.user)),
});

export const createForApi = internalMutation({
  args: { input: newUser },
  returns: userView,
  handler: async (ctx, { input }) => toUserView(await createUser(ctx, input)),
});

export const updateForApi = userApiMutation({
  args: { changes: userChanges },
  returns: userView,
  handler: async (ctx, { changes }) => toUserView(await updateUser(ctx, ctx.user._id, changes)),
});

/**
 * One step of deleting a user. Without `cascade` it refuses while payments exist.
 * With `cascade` it deletes a bounded batch of payments (then of the user's history
 * aggregates) and reports `done: false` until none are left; the last step deletes the
 * user in the same transaction that sees nothing left, so a payment posted meanwhile is
 * never orphaned.
 */
export const deleteStepForApi = userApiMutation({
  args: { cascade: v.boolean() },
  returns: v.object({ done: v.boolean(), deletedPayments: v.number() }),
  handler: async (ctx, { cascade }) => {
    const userId = ctx.user._id;
    if (!cascade) {
      if (await userHasPayments(ctx, userId)) {
        fail(
          "user_has_payments",
          "The user still has payments; delete them first or use ?cascade=true.",
        );
      }
      await ctx.db.delete("users", userId);
      return { done: true, deletedPayments: 0 };
    }
    const { deleted, done } = await deleteUserDataBatch(ctx, userId, CASCADE_BATCH_SIZE);
    if (!done) return { done: false, deletedPayments: deleted };
    await ctx.db.delete("users", userId);
    return { done: true, deletedPayments: deleted };
  },
});
