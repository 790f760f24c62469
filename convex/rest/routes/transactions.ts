import { internal } from "../../_generated/api";
import { decideInline } from "../../fraud/inline";
import { actorOf, sha256Hex, type Client } from "../apiKeys";
import { apiPath } from "../constants";
import { decodeCursor, withUrlCursor } from "../cursor";
import { json } from "../errors";
import { defineRoute, type Route } from "../route";
import {
  createTransactionBody,
  createTransactionHeaders,
  feedbackBody,
  listTransactionsQuery,
  pageEnvelope,
  transactionEnvelope,
  updateTransactionBody,
} from "../schemas";

/** Serialises JSON with sorted keys, so equal bodies hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

/** An idempotency key scoped to the API key that sent it, so two clients cannot collide. */
async function idempotencyFor(client: Client, key: string | undefined, rawBody: unknown) {
  if (key === undefined) return null;
  const scope = client.fingerprint.slice(0, 16);
  return { key: `${scope}:${key}`, requestHash: await sha256Hex(canonicalJson(rawBody)) };
}

/** The payments endpoints. */
export const transactionRoutes: Route[] = [
  defineRoute({
    method: "POST",
    path: "/transactions",
    auth: true,
    summary:
      "Submit a payment for scoring. It is accepted as pending and scored in the background, " +
      "or decided in the request with `Prefer: wait=N`.",
    body: createTransactionBody,
    headers: createTransactionHeaders,
    responses: {
      201: {
        description:
          "Decided within the `Prefer: wait=N` the request asked for (`Preference-Applied: wait=N`).",
        schema: transactionEnvelope,
      },
      202: {
        description:
          "Accepted, pending (or replayed for a repeated Idempotency-Key); without `Prefer: wait`, " +
          "or when the decision took longer than it allows.",
        schema: transactionEnvelope,
      },
      409: { description: "The Idempotency-Key was used with another body." },
    },
    handle: async ({ ctx, client, body, rawBody, headers }) => {
      const idempotency = await idempotencyFor(client, headers["Idempotency-Key"], rawBody);
      const wait = headers.Prefer;
      const staged = await ctx.runMutation(internal.transactions.createForApi, {
        input: body,
        idempotency,
        decideInline: wait !== undefined,
      });
      let transaction = staged.transaction;
      if (wait !== undefined && transaction.status === "pending") {
        transaction = (await decideInline(ctx, transaction.id, wait * 1000)) ?? transaction;
      }
      const decided = wait !== undefined && transaction.status === "scored";
      return json(
        decided ? 201 : 202,
        { transaction },
        {
          Location: apiPath("transactions", transaction.id),
          ...(staged.created ? {} : { "Idempotent-Replayed": "true" }),
          ...(decided ? { "Preference-Applied": `wait=${wait}` } : {}),
        },
      );
    },
  }),
  defineRoute({
    method: "GET",
    path: "/transactions",
    auth: true,
    summary: "List payments, newest first, optionally by status and user.",
    query: listTransactionsQuery,
    responses: { 200: { description: "One page.", schema: pageEnvelope } },
    handle: async ({ ctx, query }) => {
      const page = await ctx.runQuery(internal.transactions.listForApi, {
        userId: query.userId,
        status: query.status,
        limit: query.limit,
        cursor: query.cursor === undefined ? null : decodeCursor(query.cursor),
        requireUser: false,
      });
      return json(200, withUrlCursor(page));
    },
  }),
  defineRoute({
    method: "GET",
    path: "/transactions/{id}",
    auth: true,
    summary: "Read a payment, with its fraud result once scored.",
    responses: {
      200: { description: "The payment.", schema: transactionEnvelope },
      404: { description: "No such payment." },
    },
    handle: async ({ ctx, params }) => {
      const transaction = await ctx.runQuery(internal.transactions.getForApi, { id: params.id });
      return json(200, { transaction });
    },
  }),
  defineRoute({
    method: "PATCH",
    path: "/transactions/{id}",
    auth: true,
    summary:
      "Change a payment's descriptive fields; amount, user, terminal and time are immutable.",
    body: updateTransactionBody,
    responses: {
      200: { description: "The updated payment.", schema: transactionEnvelope },
      404: { description: "No such payment." },
      422: { description: "Invalid, or names an immutable field." },
    },
    handle: async ({ ctx, params, body }) => {
      const transaction = await ctx.runMutation(internal.transactions.updateForApi, {
        id: params.id,
        changes: body,
      });
      return json(200, { transaction });
    },
  }),
  defineRoute({
    method: "DELETE",
    path: "/transactions/{id}",
    auth: true,
    summary: "Delete a payment.",
    responses: { 204: { description: "Deleted." }, 404: { description: "No such payment." } },
    handle: async ({ ctx, params }) => {
      await ctx.runMutation(internal.transactions.deleteForApi, { id: params.id });
      return json(204, null);
    },
  }),
  defineRoute({
    method: "POST",
    path: "/transactions/{id}/feedback",
    auth: true,
    summary: "Record the ground truth for a payment (a chargeback or a confirmed review).",
    body: feedbackBody,
    responses: {
      200: { description: "The labelled payment.", schema: transactionEnvelope },
      404: { description: "No such payment." },
    },
    handle: async ({ ctx, client, params, body }) => {
      const transaction = await ctx.runMutation(internal.transactions.labelForApi, {
        id: params.id,
        label: body.label,
        actor: actorOf(client),
      });
      return json(200, { transaction });
    },
  }),
];
