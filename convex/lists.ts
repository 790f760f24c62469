import { v } from "convex/values";
import { internal } from "./_generated/api";
import { internalMutation, internalQuery } from "./_generated/server";
import { auditActor } from "./model/audit/validators";
import { fail } from "./model/errors";
import {
  addListItems,
  createList,
  deleteItemsBatch,
  deleteListDocument,
  pageListItems,
  pageLists,
  removeListItem,
  requireList,
  toListView,
} from "./model/lists/lists";
import {
  addItemsResult,
  LIST_DELETE_BATCH,
  listItemPage,
  listPage,
  listView,
  newList,
  newListItem,
} from "./model/lists/validators";
import { rulesUsingList } from "./model/rules/rules";

// The functions below serve the REST API, which checks the API key first. Each change writes
// its audit event in the same mutation.

export const createForApi = internalMutation({
  args: { input: newList, actor: auditActor },
  returns: listView,
  handler: async (ctx, { input, actor }) =>
    await toListView(ctx, await createList(ctx, input, actor)),
});

export const listForApi = internalQuery({
  args: { limit: v.number(), cursor: v.union(v.string(), v.null()) },
  returns: listPage,
  handler: async (ctx, { limit, cursor }) => await pageLists(ctx, limit, cursor),
});

export const getForApi = internalQuery({
  args: { id: v.string() },
  returns: listView,
  handler: async (ctx, { id }) => await toListView(ctx, await requireList(ctx, id)),
});

/**
 * Deletes a list at once (its name is free again and nothing matches it) and schedules the
 * deletion of its items in batches of {@link LIST_DELETE_BATCH}, so a list of 100,000 items
 * never needs one oversized transaction. Refused (`list_in_use`) while an active or shadow
 * rule references it.
 */
export const deleteForApi = internalMutation({
  args: { id: v.string(), actor: auditActor },
  returns: v.null(),
  handler: async (ctx, { id, actor }) => {
    const list = await requireList(ctx, id);
    const users = await rulesUsingList(ctx, list.name);
    if (users.length > 0) {
      fail(
        "list_in_use",
        `The list is used by the rule${users.length > 1 ? "s" : ""} ${users.map((r) => r.name).join(", ")}.`,
      );
    }
    const itemCount = await deleteListDocument(ctx, list, actor);
    if (itemCount > 0) {
      await ctx.scheduler.runAfter(0, internal.lists.deleteItemsStep, { listId: list._id });
    }
    return null;
  },
});

/** One batch of a deleted list's items; schedules the next until none are left. */
export const deleteItemsStep = internalMutation({
  args: { listId: v.id("lists") },
  returns: v.null(),
  handler: async (ctx, { listId }) => {
    const done = await deleteItemsBatch(ctx, listId, LIST_DELETE_BATCH);
    if (!done) await ctx.scheduler.runAfter(0, internal.lists.deleteItemsStep, { listId });
    return null;
  },
});

export const addItemsForApi = internalMutation({
  args: { id: v.string(), items: v.array(newListItem), actor: auditActor },
  returns: addItemsResult,
  handler: async (ctx, { id, items, actor }) =>
    await addListItems(ctx, await requireList(ctx, id), items, actor),
});

export const itemsForApi = internalQuery({
  args: { id: v.string(), limit: v.number(), cursor: v.union(v.string(), v.null()) },
  returns: listItemPage,
  handler: async (ctx, { id, limit, cursor }) =>
    await pageListItems(ctx, (await requireList(ctx, id))._id, limit, cursor),
});

export const removeItemForApi = internalMutation({
  args: { id: v.string(), value: v.string(), actor: auditActor },
  returns: v.null(),
  handler: async (ctx, { id, value, actor }) => {
    await removeListItem(ctx, await requireList(ctx, id), value, actor);
    return null;
  },
});
