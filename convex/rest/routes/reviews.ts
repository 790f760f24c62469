import { internal } from "../../_generated/api";
import { actorOf } from "../apiKeys";
import { decodeNumericCursor, withEncodedCursor } from "../cursor";
import { json } from "../errors";
import {
  assignReviewBody,
  listReviewsQuery,
  resolveReviewBody,
  reviewEnvelope,
  reviewPageEnvelope,
} from "../reviewSchemas";
import { defineRoute, type Route } from "../route";

/** The review queue: payments decided `review`, until an analyst approves or declines them. */
export const reviewRoutes: Route[] = [
  defineRoute({
    method: "GET",
    path: "/reviews",
    auth: true,
    summary: "List reviews: the open queue oldest first; approved or declined newest first.",
    query: listReviewsQuery,
    responses: { 200: { description: "One page.", schema: reviewPageEnvelope } },
    handle: async ({ ctx, query }) => {
      const page = await ctx.runQuery(internal.reviews.listForApi, {
        status: query.status,
        limit: query.limit,
        cursor: query.cursor === undefined ? null : decodeNumericCursor(query.cursor),
      });
      return json(200, withEncodedCursor(page));
    },
  }),
  defineRoute({
    method: "GET",
    path: "/reviews/{id}",
    auth: true,
    summary: "Read a review, with its payment as GET /transactions/{id} shows it.",
    responses: {
      200: { description: "The review.", schema: reviewEnvelope },
      404: { description: "No such review." },
    },
    handle: async ({ ctx, params }) => {
      const review = await ctx.runQuery(internal.reviews.getForApi, { id: params.id });
      return json(200, { review });
    },
  }),
  defineRoute({
    method: "POST",
    path: "/reviews/{id}/assign",
    auth: true,
    summary: "Assign an open review; reassigning is allowed while it is open.",
    body: assignReviewBody,
    responses: {
      200: { description: "The review.", schema: reviewEnvelope },
      404: { description: "No such review." },
      409: { description: "The review is resolved (review_closed)." },
    },
    handle: async ({ ctx, client, params, body }) => {
      const review = await ctx.runMutation(internal.reviews.assignForApi, {
        id: params.id,
        assignee: body.assignee,
        actor: actorOf(client),
      });
      return json(200, { review });
    },
  }),
  defineRoute({
    method: "POST",
    path: "/reviews/{id}/resolve",
    auth: true,
    summary:
      "Approve or decline a review, once: sets the payment's finalDecision and, unless it has one, its label.",
    body: resolveReviewBody,
    responses: {
      200: { description: "The resolved review.", schema: reviewEnvelope },
      404: { description: "No such review." },
      409: { description: "The review was already resolved (review_closed)." },
    },
    handle: async ({ ctx, client, params, body }) => {
      const review = await ctx.runMutation(internal.reviews.resolveForApi, {
        id: params.id,
        resolution: body,
        actor: actorOf(client),
      });
      return json(200, { review });
    },
  }),
];
