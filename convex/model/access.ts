import type { Id } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";
import { fail } from "./errors";
import { userByTokenIdentifier } from "./users/users";

/** The role claim (in the identity's JWT) that grants access to every customer's data. */
export const ANALYST_ROLE = "analyst";

/**
 * Who is calling a public function: an analyst sees everything, a customer only what belongs
 * to the user linked to its identity (`users.tokenIdentifier`); an identity linked to no user
 * sees nothing.
 */
export type Viewer =
  | { kind: "analyst"; tokenIdentifier: string }
  | { kind: "customer"; userId: Id<"users"> }
  | { kind: "unlinked" };

/** Resolves the caller of a public function; fails with `unauthenticated` without an identity. */
export async function requireViewer(ctx: QueryCtx): Promise<Viewer> {
  const identity = await ctx.auth.getUserIdentity();
  if (!identity) fail("unauthenticated", "Sign in to read payments.");
  if (identity.role === ANALYST_ROLE) {
    return { kind: "analyst", tokenIdentifier: identity.tokenIdentifier };
  }
  const user = await userByTokenIdentifier(ctx, identity.tokenIdentifier);
  return user ? { kind: "customer", userId: user._id } : { kind: "unlinked" };
}

/** Whether the viewer may read data that belongs to `userId`. */
export function canRead(viewer: Viewer, userId: Id<"users">): boolean {
  return viewer.kind === "analyst" || (viewer.kind === "customer" && viewer.userId === userId);
}

/** The analyst calling a public function; fails with `forbidden` for any other identity. */
export async function requireAnalyst(ctx: QueryCtx): Promise<{ tokenIdentifier: string }> {
  const viewer = await requireViewer(ctx);
  if (viewer.kind !== "analyst") fail("forbidden", "Only analysts may do this.");
  return { tokenIdentifier: viewer.tokenIdentifier };
}
