import type { Doc, Id } from "../../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../../_generated/server";
import { fail } from "../errors";
import type { NewUser, UserChanges, UserView } from "./validators";

/** The public shape of a user document. */
export function toUserView(user: Doc<"users">): UserView {
  return {
    id: user._id,
    name: user.name,
    email: user.email,
    externalId: user.externalId ?? null,
    tokenIdentifier: user.tokenIdentifier ?? null,
    createdAt: user.createdAt,
  };
}

/** Emails are unique case-insensitively, so they are stored lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

async function assertUnique(ctx: QueryCtx, user: UserChanges, self: Id<"users"> | null) {
  if (user.email !== undefined) {
    const email = user.email;
    const other = await ctx.db
      .query("users")
      .withIndex("by_email", (q) => q.eq("email", email))
      .first();
    if (other && other._id !== self) {
      fail("email_taken", "A user with this email already exists.", [
        { field: "email", message: "already in use" },
      ]);
    }
  }
  if (user.externalId !== undefined) {
    const externalId = user.externalId;
    const other = await ctx.db
      .query("users")
      .withIndex("by_externalId", (q) => q.eq("externalId", externalId))
      .first();
    if (other && other._id !== self) {
      fail("external_id_taken", "A user with this externalId already exists.", [
        { field: "externalId", message: "already in use" },
      ]);
    }
  }
  if (user.tokenIdentifier !== undefined) {
    const other = await userByTokenIdentifier(ctx, user.tokenIdentifier);
    if (other && other._id !== self) {
      fail("token_identifier_taken", "Another user is already linked to this identity.", [
        { field: "tokenIdentifier", message: "already linked" },
      ]);
    }
  }
}

/** Creates a user; fails with `email_taken` / `external_id_taken` on duplicates. */
export async function createUser(ctx: MutationCtx, input: NewUser): Promise<Doc<"users">> {
  const user = { ...input, email: normalizeEmail(input.email) };
  await assertUnique(ctx, user, null);
  const id = await ctx.db.insert("users", { ...user, createdAt: Date.now() });
  return (await ctx.db.get("users", id))!;
}

/** Applies a partial update; fails with `not_found` or on a duplicate email / externalId. */
export async function updateUser(
  ctx: MutationCtx,
  id: Id<"users">,
  changes: UserChanges,
): Promise<Doc<"users">> {
  const existing = await ctx.db.get("users", id);
  if (!existing) fail("not_found", "User not found.");
  const patch =
    changes.email === undefined ? changes : { ...changes, email: normalizeEmail(changes.email) };
  await assertUnique(ctx, patch, id);
  await ctx.db.patch("users", id, patch);
  return (await ctx.db.get("users", id))!;
}

/** Returns the user linked to a Convex auth identity, if any. */
export async function userByTokenIdentifier(
  ctx: QueryCtx,
  tokenIdentifier: string,
): Promise<Doc<"users"> | null> {
  return await ctx.db
    .query("users")
    .withIndex("by_tokenIdentifier", (q) => q.eq("tokenIdentifier", tokenIdentifier))
    .unique();
}
