import { internal } from "../../_generated/api";
import { asDomainError } from "../../model/errors";
import { apiPath } from "../constants";
import { decodeCursor, withUrlCursor } from "../cursor";
import { json } from "../errors";
import { defineRoute, type Route } from "../route";
import {
  createUserBody,
  deleteUserQuery,
  pageEnvelope,
  updateUserBody,
  userEnvelope,
  userTransactionsQuery,
} from "../schemas";

/** The users (paying customers) endpoints. */
export const userRoutes: Route[] = [
  defineRoute({
    method: "POST",
    path: "/users",
    auth: true,
    summary: "Create a user (a paying customer).",
    body: createUserBody,
    responses: {
      201: { description: "Created.", schema: userEnvelope },
      409: { description: "The email or externalId is already used." },
    },
    handle: async ({ ctx, body }) => {
      const user = await ctx.runMutation(internal.users.createForApi, { input: body });
      return json(201, { user }, { Location: apiPath("users", user.id) });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/users/{id}",
    auth: true,
    summary: "Read a user.",
    responses: {
      200: { description: "The user.", schema: userEnvelope },
      404: { description: "No such user." },
    },
    handle: async ({ ctx, params }) => {
      const user = await ctx.runQuery(internal.users.getForApi, { id: params.id });
      return json(200, { user });
    },
  }),
  defineRoute({
    method: "PATCH",
    path: "/users/{id}",
    auth: true,
    summary: "Change a user's name, email, externalId or linked identity.",
    body: updateUserBody,
    responses: {
      200: { description: "The updated user.", schema: userEnvelope },
      404: { description: "No such user." },
      409: { description: "The email or externalId is already used." },
    },
    handle: async ({ ctx, params, body }) => {
      const user = await ctx.runMutation(internal.users.updateForApi, {
        id: params.id,
        changes: body,
      });
      return json(200, { user });
    },
  }),
  defineRoute({
    method: "DELETE",
    path: "/users/{id}",
    auth: true,
    summary: "Delete a user; with cascade=true its payments too (in bounded batches).",
    query: deleteUserQuery,
    responses: {
      204: { description: "Deleted." },
      404: { description: "No such user." },
      409: { description: "The user still has payments and cascade is not set." },
    },
    handle: async ({ ctx, params, query }) => {
      for (let step = 0; ; step++) {
        try {
          const { done } = await ctx.runMutation(internal.users.deleteStepForApi, {
            id: params.id,
            cascade: query.cascade === "true",
          });
          if (done) return json(204, null);
        } catch (error) {
          // Gone after our first batch: another request finished the deletion.
          if (step > 0 && asDomainError(error)?.code === "not_found") return json(204, null);
          throw error;
        }
      }
    },
  }),
  defineRoute({
    method: "GET",
    path: "/users/{id}/transactions",
    auth: true,
    summary: "A user's payments, newest first.",
    query: userTransactionsQuery,
    responses: {
      200: { description: "One page.", schema: pageEnvelope },
      404: { description: "No such user." },
    },
    handle: async ({ ctx, params, query }) => {
      const page = await ctx.runQuery(internal.transactions.listForApi, {
        userId: params.id,
        limit: query.limit,
        cursor: query.cursor === undefined ? null : decodeCursor(query.cursor),
        requireUser: true,
      });
      return json(200, withUrlCursor(page));
    },
  }),
];
