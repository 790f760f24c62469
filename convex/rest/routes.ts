import { z } from "zod";
import { internal } from "../_generated/api";
import { sha256Hex, type Client } from "./apiKeys";
import { decodeCursor, encodeCursor } from "./cursor";
import { buildOpenApiDocument } from "./openapi";
import { parseBody, parseQuery, readJsonBody } from "./request";
import { ApiError, json } from "./responses";
import type { Route, RouteRequest } from "./routeTable";
import {
  createTransactionBody,
  createUserBody,
  deleteUserQuery,
  emptyQuery,
  feedbackBody,
  IMMUTABLE_PAYMENT_FIELDS,
  listTransactionsQuery,
  transactionSchema,
  updateTransactionBody,
  updateUserBody,
  userSchema,
  userTransactionsQuery,
} from "./schemas";
import { asDomainError } from "../model/errors";
import type { PaymentPage } from "../model/validators";

const userEnvelope = z.object({ user: userSchema });
const transactionEnvelope = z.object({ transaction: transactionSchema });
const pageEnvelope = z.object({
  data: z.array(transactionSchema),
  nextCursor: z.string().nullable(),
});

const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found.`);

/** The cursor inside a REST page is wrapped so it can travel in a URL. */
function withUrlCursor(page: PaymentPage): PaymentPage {
  return { ...page, nextCursor: page.nextCursor === null ? null : encodeCursor(page.nextCursor) };
}

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

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

async function idempotencyFor(request: Request, client: Client | null, body: unknown) {
  const key = request.headers.get("idempotency-key");
  if (key === null) return null;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new ApiError(
      400,
      "invalid_header",
      "Idempotency-Key must be 1-255 visible ASCII characters.",
      [{ field: "Idempotency-Key", message: "1-255 visible ASCII characters" }],
    );
  }
  // Keys are scoped to the API key that sent them, so two clients cannot collide.
  const scope = client?.fingerprint.slice(0, 16) ?? "public";
  return { key: `${scope}:${key}`, requestHash: await sha256Hex(canonicalJson(body)) };
}

function rejectImmutableFields(body: unknown) {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return;
  const named = IMMUTABLE_PAYMENT_FIELDS.filter((field) => field in body);
  if (named.length > 0) {
    throw new ApiError(
      422,
      "immutable_field",
      "Only productCategory, customerLocation and metadata can change after creation.",
      named.map((field) => ({ field, message: "is immutable" })),
    );
  }
}

async function listUserTransactions({ ctx, params, query }: RouteRequest) {
  const { limit, cursor } = parseQuery(userTransactionsQuery, query);
  const page = await ctx.runQuery(internal.transactions.listForApi, {
    userId: params.id,
    limit,
    cursor: cursor === undefined ? null : decodeCursor(cursor),
    requireUser: true,
  });
  return json(200, withUrlCursor(page));
}

async function deleteUser({ ctx, params, query }: RouteRequest) {
  const { cascade } = parseQuery(deleteUserQuery, query);
  for (let step = 0; ; step++) {
    try {
      const { done } = await ctx.runMutation(internal.users.deleteStepForApi, {
        id: params.id,
        cascade: cascade === "true",
      });
      if (done) return json(204, null);
    } catch (error) {
      // Gone after our first batch: another request finished the deletion.
      if (step > 0 && asDomainError(error)?.code === "not_found") return json(204, null);
      throw error;
    }
  }
}

let openApiDocument: unknown = null;

/** Every endpoint of the REST API, in the order the OpenAPI document lists them. */
export const routes: Route[] = [
  {
    method: "GET",
    path: "/health",
    auth: false,
    summary: "Liveness check.",
    query: emptyQuery,
    responses: {
      200: { description: "The service is up.", schema: z.object({ status: z.literal("ok") }) },
    },
    handle: () => Promise.resolve(json(200, { status: "ok" })),
  },
  {
    method: "GET",
    path: "/openapi.json",
    auth: false,
    summary: "This document.",
    responses: { 200: { description: "The OpenAPI 3.1 document." } },
    handle: () => {
      openApiDocument ??= buildOpenApiDocument(routes);
      return Promise.resolve(json(200, openApiDocument));
    },
  },
  {
    method: "POST",
    path: "/users",
    auth: true,
    summary: "Create a user (a paying customer).",
    body: createUserBody,
    responses: {
      201: { description: "Created.", schema: userEnvelope },
      409: { description: "The email or externalId is already used." },
    },
    handle: async ({ ctx, request }) => {
      const input = parseBody(createUserBody, await readJsonBody(request));
      const user = await ctx.runMutation(internal.users.createForApi, { input });
      return json(201, { user }, { Location: `/api/v1/users/${user.id}` });
    },
  },
  {
    method: "GET",
    path: "/users/{id}",
    auth: true,
    summary: "Read a user.",
    query: emptyQuery,
    responses: {
      200: { description: "The user.", schema: userEnvelope },
      404: { description: "No such user." },
    },
    handle: async ({ ctx, params, query }) => {
      parseQuery(emptyQuery, query);
      const user = await ctx.runQuery(internal.users.getForApi, { id: params.id });
      if (!user) throw notFound("User");
      return json(200, { user });
    },
  },
  {
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
    handle: async ({ ctx, request, params }) => {
      const changes = parseBody(updateUserBody, await readJsonBody(request));
      const user = await ctx.runMutation(internal.users.updateForApi, { id: params.id, changes });
      return json(200, { user });
    },
  },
  {
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
    handle: deleteUser,
  },
  {
    method: "GET",
    path: "/users/{id}/transactions",
    auth: true,
    summary: "A user's payments, newest first.",
    query: userTransactionsQuery,
    responses: {
      200: { description: "One page.", schema: pageEnvelope },
      404: { description: "No such user." },
    },
    handle: listUserTransactions,
  },
  {
    method: "POST",
    path: "/transactions",
    auth: true,
    summary:
      "Submit a payment for scoring. It is accepted as pending and scored in the background.",
    body: createTransactionBody,
    headers: [
      {
        name: "Idempotency-Key",
        description:
          "Retries with the same key and body return the same payment; another body is a 409.",
      },
    ],
    responses: {
      202: {
        description: "Accepted (or replayed for a repeated Idempotency-Key).",
        schema: transactionEnvelope,
      },
      409: { description: "The Idempotency-Key was used with another body." },
    },
    handle: async ({ ctx, request, client }) => {
      const raw = await readJsonBody(request);
      const input = parseBody(createTransactionBody, raw);
      const idempotency = await idempotencyFor(request, client, raw);
      const { transaction, created } = await ctx.runMutation(internal.transactions.createForApi, {
        input,
        idempotency,
      });
      return json(
        202,
        { transaction },
        {
          Location: `/api/v1/transactions/${transaction.id}`,
          ...(created ? {} : { "Idempotent-Replayed": "true" }),
        },
      );
    },
  },
  {
    method: "GET",
    path: "/transactions",
    auth: true,
    summary: "List payments, newest first, optionally by status and user.",
    query: listTransactionsQuery,
    responses: { 200: { description: "One page.", schema: pageEnvelope } },
    handle: async ({ ctx, query }) => {
      const { limit, cursor, status, userId } = parseQuery(listTransactionsQuery, query);
      const page = await ctx.runQuery(internal.transactions.listForApi, {
        userId,
        status,
        limit,
        cursor: cursor === undefined ? null : decodeCursor(cursor),
        requireUser: false,
      });
      return json(200, withUrlCursor(page));
    },
  },
  {
    method: "GET",
    path: "/transactions/{id}",
    auth: true,
    summary: "Read a payment, with its fraud result once scored.",
    query: emptyQuery,
    responses: {
      200: { description: "The payment.", schema: transactionEnvelope },
      404: { description: "No such payment." },
    },
    handle: async ({ ctx, params, query }) => {
      parseQuery(emptyQuery, query);
      const transaction = await ctx.runQuery(internal.transactions.getForApi, { id: params.id });
      if (!transaction) throw notFound("Payment");
      return json(200, { transaction });
    },
  },
  {
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
    handle: async ({ ctx, request, params }) => {
      const raw = await readJsonBody(request);
      rejectImmutableFields(raw);
      const changes = parseBody(updateTransactionBody, raw);
      const transaction = await ctx.runMutation(internal.transactions.updateForApi, {
        id: params.id,
        changes,
      });
      return json(200, { transaction });
    },
  },
  {
    method: "DELETE",
    path: "/transactions/{id}",
    auth: true,
    summary: "Delete a payment.",
    query: emptyQuery,
    responses: { 204: { description: "Deleted." }, 404: { description: "No such payment." } },
    handle: async ({ ctx, params, query }) => {
      parseQuery(emptyQuery, query);
      const deleted = await ctx.runMutation(internal.transactions.deleteForApi, { id: params.id });
      if (!deleted) throw notFound("Payment");
      return json(204, null);
    },
  },
  {
    method: "POST",
    path: "/transactions/{id}/feedback",
    auth: true,
    summary: "Record the ground truth for a payment (a chargeback or a confirmed review).",
    body: feedbackBody,
    responses: {
      200: { description: "The labelled payment.", schema: transactionEnvelope },
      404: { description: "No such payment." },
    },
    handle: async ({ ctx, request, params }) => {
      const { label } = parseBody(feedbackBody, await readJsonBody(request));
      const transaction = await ctx.runMutation(internal.transactions.labelForApi, {
        id: params.id,
        label,
      });
      return json(200, { transaction });
    },
  },
];
