import { internal } from "../../_generated/api";
import { actorOf } from "../apiKeys";
import { apiPath } from "../constants";
import { json } from "../errors";
import { decodeKeyCursor, withKeyCursor } from "../keyCursor";
import {
  addItemsEnvelope,
  addListItemsBody,
  createListBody,
  listEnvelope,
  listItemPageEnvelope,
  listPageEnvelope,
  pageQuery,
} from "../listSchemas";
import { defineRoute, type Route } from "../route";

/** The lists endpoints: named sets of strings that rules test membership in. */
export const listRoutes: Route[] = [
  defineRoute({
    method: "POST",
    path: "/lists",
    auth: true,
    summary: "Create a list (a named set of strings rules can test membership in).",
    body: createListBody,
    responses: {
      201: { description: "Created.", schema: listEnvelope },
      409: { description: "The name is taken (`list_name_taken`)." },
    },
    handle: async ({ ctx, client, body }) => {
      const list = await ctx.runMutation(internal.lists.createForApi, {
        input: body,
        actor: actorOf(client),
      });
      return json(201, { list }, { Location: apiPath("lists", list.id) });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/lists",
    auth: true,
    summary: "The lists, by name.",
    query: pageQuery,
    responses: { 200: { description: "One page.", schema: listPageEnvelope } },
    handle: async ({ ctx, query }) => {
      const page = await ctx.runQuery(internal.lists.listForApi, {
        limit: query.limit,
        cursor: decodeKeyCursor(query.cursor),
      });
      return json(200, withKeyCursor(page));
    },
  }),
  defineRoute({
    method: "GET",
    path: "/lists/{id}",
    auth: true,
    summary: "Read a list.",
    responses: {
      200: { description: "The list.", schema: listEnvelope },
      404: { description: "No such list." },
    },
    handle: async ({ ctx, params }) => {
      const list = await ctx.runQuery(internal.lists.getForApi, { id: params.id });
      return json(200, { list });
    },
  }),
  defineRoute({
    method: "DELETE",
    path: "/lists/{id}",
    auth: true,
    summary: "Delete a list; its items are removed in the background, in batches.",
    responses: {
      204: { description: "Deleted." },
      404: { description: "No such list." },
      409: { description: "An active or shadow rule references it (`list_in_use`)." },
    },
    handle: async ({ ctx, client, params }) => {
      await ctx.runMutation(internal.lists.deleteForApi, {
        id: params.id,
        actor: actorOf(client),
      });
      return json(204, null);
    },
  }),
  defineRoute({
    method: "POST",
    path: "/lists/{id}/items",
    auth: true,
    summary: "Add 1 to 1,000 items; a value already there takes the new note and expiry.",
    body: addListItemsBody,
    responses: {
      200: {
        description: "How many were new and how many already there.",
        schema: addItemsEnvelope,
      },
      404: { description: "No such list." },
    },
    handle: async ({ ctx, client, params, body }) => {
      const result = await ctx.runMutation(internal.lists.addItemsForApi, {
        id: params.id,
        items: body.items,
        actor: actorOf(client),
      });
      return json(200, result);
    },
  }),
  defineRoute({
    method: "GET",
    path: "/lists/{id}/items",
    auth: true,
    summary: "A list's items, by value.",
    query: pageQuery,
    responses: {
      200: { description: "One page.", schema: listItemPageEnvelope },
      404: { description: "No such list." },
    },
    handle: async ({ ctx, params, query }) => {
      const page = await ctx.runQuery(internal.lists.itemsForApi, {
        id: params.id,
        limit: query.limit,
        cursor: decodeKeyCursor(query.cursor),
      });
      return json(200, withKeyCursor(page));
    },
  }),
  defineRoute({
    method: "DELETE",
    path: "/lists/{id}/items/{value}",
    auth: true,
    summary: "Remove one value (URL-encoded in the path).",
    responses: {
      204: { description: "Removed." },
      404: { description: "No such list, or the list does not hold the value." },
    },
    handle: async ({ ctx, client, params }) => {
      await ctx.runMutation(internal.lists.removeItemForApi, {
        id: params.id,
        value: params.value,
        actor: actorOf(client),
      });
      return json(204, null);
    },
  }),
];
