import { v } from "convex/values";
import { zodOutputToConvex } from "convex-helpers/server/zod4";
import { internalMutation, internalQuery, query } from "./_generated/server";
import { canRead, requireViewer } from "./model/access";
import { fail } from "./model/errors";
import { deleteUserDataBatch, userHasPayments } from "./model/payments";
import { createUser, toUserView, updateUser } from "./model/users";
import { userView } from "./model/validators";
import { createUserBody, updateUserBody } from "./rest/schemas";

/** Payments deleted per mutation when a user is deleted with `cascade`. */
export const CASCADE_BATCH_SIZE = 256;

/** A user, for `useQuery`: analysts see any user, a customer only itself. */
export const get = query({
  args: { id: v.id("users") },
  returns: v.union(userView, v.null()),
  handler: async (ctx, { id }) => {
    const viewer = await requireViewer(ctx);
    if (!canRead(viewer, id)) return null;
    const user = await ctx.db.get("users", id);
    return user ? toUserView(user) : null;
  },
});

// The functions below serve the REST API. Ids arrive as untrusted path segments, so
// they are taken as strings and normalised here: an id of another table is a 404.

export const getForApi = internalQuery({
  args: { id: v.string() },
  returns: v.union(userView, v.null()),
  handler: async (ctx, { id }) => {
    const userId = ctx.db.normalizeId("users", id);
    const user = userId ? await ctx.db.get("users", userId) : null;
    return user ? toUserView(user) : null;
  },
});

export const createForApi = internalMutation({
  args: { input: zodOutputToConvex(createUserBody) },
  returns: userView,
  handler: async (ctx, { input }) => toUserView(await createUser(ctx, input)),
});

export const updateForApi = internalMutation({
  args: { id: v.string(), changes: zodOutputToConvex(updateUserBody) },
  returns: userView,
  handler: async (ctx, { id, changes }) => {
    const userId = ctx.db.normalizeId("users", id);
    if (!userId) fail("not_found", "User not found.");
    return toUserView(await updateUser(ctx, userId, changes));
  },
});

/**
 * One step of deleting a user. Without `cascade` it refuses while payments exist.
 * With `cascade` it deletes a bounded batch of payments (then of the user's history
 * aggregates) and reports `done: false` until none are left; the last step deletes the
 * user in the same transaction that sees nothing left, so a payment posted meanwhile is
 * never orphaned.
 */
export const deleteStepForApi = internalMutation({
  args: { id: v.string(), cascade: v.boolean() },
  returns: v.object({ done: v.boolean(), deletedPayments: v.number() }),
  handler: async (ctx, { id, cascade }) => {
    const userId = ctx.db.normalizeId("users", id);
    const user = userId ? await ctx.db.get("users", userId) : null;
    if (!userId || !user) fail("not_found", "User not found.");
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
