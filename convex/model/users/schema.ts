import { defineTable } from "convex/server";
import { v } from "convex/values";
import { userFields } from "./validators";

/** The users table: the paying customers. */
export const usersTables = {
  /** Written by `users.createForApi`, `users.updateForApi` and `users.deleteStepForApi`. */
  users: defineTable({ ...userFields, createdAt: v.number() })
    .index("by_email", ["email"])
    .index("by_externalId", ["externalId"])
    .index("by_tokenIdentifier", ["tokenIdentifier"]),
};
