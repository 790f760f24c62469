import { customCtx, customMutation, customQuery } from "convex-helpers/server/customFunctions";
import { v } from "convex/values";
import {
  internalMutation,
  internalQuery,
  mutation,
  query,
  type QueryCtx,
} from "./_generated/server";
import { requireAnalyst, requireViewer } from "./model/access";
import { fail } from "./model/errors";
import { requirePayment } from "./model/payments/locate";

/**
 * Function builders that hold the preambles every function of a kind repeats, so handlers start
 * with what they need:
 *
 * - `viewerQuery`: a public query; `ctx.viewer` is who calls (analyst, customer or an unlinked
 *   identity) and an unauthenticated caller fails with `unauthenticated`.
 * - `analystQuery` / `analystMutation`: public functions for identities with the `analyst` role
 *   only (`forbidden` otherwise); `ctx.analyst.tokenIdentifier` names who acted.
 * - `userApiQuery` / `userApiMutation`: internal functions the REST API calls about one user;
 *   `args.id` is the untrusted path segment, normalised here, and `ctx.user` the user document
 *   (`not_found` when there is none, or when the id belongs to another table).
 * - `paymentApiQuery` / `paymentApiMutation`: the same for one payment by its public id;
 *   `ctx.payment` says which table holds it.
 */

export const viewerQuery = customQuery(
  query,
  customCtx(async (ctx) => ({ viewer: await requireViewer(ctx) })),
);

export const analystQuery = customQuery(
  query,
  customCtx(async (ctx) => ({ analyst: await requireAnalyst(ctx) })),
);

export const analystMutation = customMutation(
  mutation,
  customCtx(async (ctx) => ({ analyst: await requireAnalyst(ctx) })),
);

async function requireUserById(ctx: QueryCtx, id: string) {
  const userId = ctx.db.normalizeId("users", id);
  const user = userId ? await ctx.db.get("users", userId) : null;
  if (!user) fail("not_found", "User not found.");
  return user;
}

const userApi = {
  args: { id: v.string() },
  input: async (ctx: QueryCtx, { id }: { id: string }) => ({
    ctx: { user: await requireUserById(ctx, id) },
    args: {},
  }),
};

export const userApiQuery = customQuery(internalQuery, userApi);
export const userApiMutation = customMutation(internalMutation, userApi);

const paymentApi = {
  args: { id: v.string() },
  input: async (ctx: QueryCtx, { id }: { id: string }) => ({
    ctx: { payment: await requirePayment(ctx, id) },
    args: {},
  }),
};

export const paymentApiQuery = customQuery(internalQuery, paymentApi);
export const paymentApiMutation = customMutation(internalMutation, paymentApi);
