import { v, type Infer } from "convex/values";

/** The fields of a user a client sets (email lower-cased before it is stored). */
export const userFields = {
  name: v.string(),
  /** Lower-cased; unique. */
  email: v.string(),
  /** The caller's own id for this customer; unique when present. */
  externalId: v.optional(v.string()),
  /** Links a Convex auth identity (`identity.tokenIdentifier`) to this customer. */
  tokenIdentifier: v.optional(v.string()),
};

/** A new user, as the API accepts it. */
export const newUser = v.object(userFields);
export type NewUser = Infer<typeof newUser>;

/** A partial update of a user. */
export const userChanges = v.object({
  name: v.optional(userFields.name),
  email: v.optional(userFields.email),
  externalId: userFields.externalId,
  tokenIdentifier: userFields.tokenIdentifier,
});
export type UserChanges = Infer<typeof userChanges>;

/** A user as the API and the reactive queries show it. */
export const userView = v.object({
  id: v.id("users"),
  name: v.string(),
  email: v.string(),
  externalId: v.union(v.string(), v.null()),
  tokenIdentifier: v.union(v.string(), v.null()),
  createdAt: v.number(),
});
export type UserView = Infer<typeof userView>;
