import type { Doc, Id } from "../../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../../_generated/server";
import { recordAudit } from "../audit/audit";
import type { AuditActor } from "../audit/validators";
import { fail } from "../errors";
import type {
  AddItemsResult,
  ListItemPage,
  ListItemView,
  ListPage,
  ListView,
  NewList,
  NewListItem,
} from "./validators";

/**
 * The lists domain: named sets of strings, and membership as one indexed lookup. A list of
 * 100,000 items is as cheap to test as a list of one; adding is bounded per request
 * ({@link MAX_ITEMS_PER_REQUEST}) and deleting a list removes its items in scheduled batches.
 */

async function countOf(ctx: QueryCtx, listId: Id<"lists">) {
  return await ctx.db
    .query("listCounts")
    .withIndex("by_listId", (q) => q.eq("listId", listId))
    .unique();
}

/** The items a list holds now (its `listCounts` row). */
export async function itemCountOf(ctx: QueryCtx, listId: Id<"lists">): Promise<number> {
  return (await countOf(ctx, listId))?.itemCount ?? 0;
}

async function addToCount(ctx: MutationCtx, listId: Id<"lists">, delta: number) {
  const row = await countOf(ctx, listId);
  if (row) {
    await ctx.db.patch("listCounts", row._id, { itemCount: Math.max(0, row.itemCount + delta) });
  } else {
    await ctx.db.insert("listCounts", { listId, itemCount: Math.max(0, delta) });
  }
}

/** A list as the API shows it: its document and its count (one more read). */
export async function toListView(ctx: QueryCtx, doc: Doc<"lists">): Promise<ListView> {
  return {
    id: doc._id,
    name: doc.name,
    description: doc.description ?? null,
    itemCount: await itemCountOf(ctx, doc._id),
    createdAt: doc.createdAt,
  };
}

export function toListItemView(doc: Doc<"listItems">): ListItemView {
  return {
    value: doc.value,
    note: doc.note ?? null,
    expiresAt: doc.expiresAt ?? null,
    addedAt: doc.addedAt,
  };
}

/** The list of a name, or null. One index lookup. */
export async function listByName(ctx: QueryCtx, name: string): Promise<Doc<"lists"> | null> {
  return await ctx.db
    .query("lists")
    .withIndex("by_name", (q) => q.eq("name", name))
    .unique();
}

/** The list of an untrusted id; `not_found` when there is none. */
export async function requireList(ctx: QueryCtx, id: string): Promise<Doc<"lists">> {
  const listId = ctx.db.normalizeId("lists", id);
  const list = listId ? await ctx.db.get("lists", listId) : null;
  if (!list) fail("not_found", "List not found.");
  return list;
}

/**
 * Creates a list, with its `list.created` audit event (after: the list as the API shows it);
 * `list_name_taken` when the name is used.
 */
export async function createList(
  ctx: MutationCtx,
  input: NewList,
  actor: AuditActor,
): Promise<Doc<"lists">> {
  if (await listByName(ctx, input.name)) {
    fail("list_name_taken", `A list named ${input.name} already exists.`, [
      { field: "name", message: "already used" },
    ]);
  }
  const id = await ctx.db.insert("lists", { ...input, createdAt: Date.now() });
  await ctx.db.insert("listCounts", { listId: id, itemCount: 0 });
  const list = (await ctx.db.get("lists", id))!;
  await recordAudit(ctx, {
    actor,
    action: "list.created",
    target: { type: "list", id },
    before: null,
    after: await toListView(ctx, list),
  });
  return list;
}

/** Lists by name, after `cursor` (the last name of the previous page). Reads `2 limit + 1` rows. */
export async function pageLists(
  ctx: QueryCtx,
  limit: number,
  cursor: string | null,
): Promise<ListPage> {
  const rows = await ctx.db
    .query("lists")
    .withIndex("by_name", (q) => (cursor === null ? q : q.gt("name", cursor)))
    .take(limit + 1);
  const page = rows.slice(0, limit);
  return {
    data: await Promise.all(page.map((doc) => toListView(ctx, doc))),
    nextCursor: rows.length > limit ? page[page.length - 1].name : null,
  };
}

/** A list's items by value, after `cursor` (the last value of the previous page). */
export async function pageListItems(
  ctx: QueryCtx,
  listId: Id<"lists">,
  limit: number,
  cursor: string | null,
): Promise<ListItemPage> {
  const rows = await ctx.db
    .query("listItems")
    .withIndex("by_listId_and_value", (q) =>
      cursor === null ? q.eq("listId", listId) : q.eq("listId", listId).gt("value", cursor),
    )
    .take(limit + 1);
  const page = rows.slice(0, limit);
  return {
    data: page.map(toListItemView),
    nextCursor: rows.length > limit ? page[page.length - 1].value : null,
  };
}

async function itemOf(ctx: QueryCtx, listId: Id<"lists">, value: string) {
  return await ctx.db
    .query("listItems")
    .withIndex("by_listId_and_value", (q) => q.eq("listId", listId).eq("value", value))
    .unique();
}

/**
 * Adds items (at most {@link MAX_ITEMS_PER_REQUEST}, checked at the API edge): one lookup and
 * at most one write per item. A value already there keeps its place and takes the new note and
 * expiry; it counts as `existing`. A value repeated within the request counts once. Writes one
 * `list.itemsAdded` audit event on the list: the counts and the added values (as many as the
 * request holds, so at most {@link MAX_ITEMS_PER_REQUEST}).
 */
export async function addListItems(
  ctx: MutationCtx,
  list: Doc<"lists">,
  items: NewListItem[],
  actor: AuditActor,
): Promise<AddItemsResult> {
  const byValue = new Map(items.map((item) => [item.value, item]));
  const values: string[] = [];
  let added = 0;
  let existing = 0;
  const now = Date.now();
  for (const item of byValue.values()) {
    const stored = await itemOf(ctx, list._id, item.value);
    if (stored) {
      existing += 1;
      await ctx.db.patch("listItems", stored._id, { note: item.note, expiresAt: item.expiresAt });
    } else {
      added += 1;
      values.push(item.value);
      await ctx.db.insert("listItems", { ...item, listId: list._id, addedAt: now });
    }
  }
  if (added > 0) await addToCount(ctx, list._id, added);
  await recordAudit(ctx, {
    actor,
    action: "list.itemsAdded",
    target: { type: "list", id: list._id },
    before: null,
    after: { added, existing, values },
  });
  return { added, existing };
}

/**
 * Removes one value, with its `listItem.removed` audit event (target `<listId>:<value>`,
 * before: the item); `not_found` when the list does not hold it.
 */
export async function removeListItem(
  ctx: MutationCtx,
  list: Doc<"lists">,
  value: string,
  actor: AuditActor,
): Promise<void> {
  const stored = await itemOf(ctx, list._id, value);
  if (!stored) fail("not_found", "The list does not hold this value.");
  await ctx.db.delete("listItems", stored._id);
  await addToCount(ctx, list._id, -1);
  await recordAudit(ctx, {
    actor,
    action: "listItem.removed",
    target: { type: "listItem", id: `${list._id}:${value}` },
    before: toListItemView(stored),
    after: null,
  });
}

/**
 * Deletes a list's document and its count, with its `list.deleted` audit event (before: the
 * list as the API showed it); its items go in batches ({@link deleteItemsBatch}), which are
 * not audited one by one (the list's event covers them). Returns the item count.
 */
export async function deleteListDocument(
  ctx: MutationCtx,
  list: Doc<"lists">,
  actor: AuditActor,
): Promise<number> {
  const before = await toListView(ctx, list);
  const row = await countOf(ctx, list._id);
  if (row) await ctx.db.delete("listCounts", row._id);
  await ctx.db.delete("lists", list._id);
  await recordAudit(ctx, {
    actor,
    action: "list.deleted",
    target: { type: "list", id: list._id },
    before,
    after: null,
  });
  return row?.itemCount ?? 0;
}

/**
 * Deletes up to `batch` items of a deleted list; returns whether none are left. The list
 * document is deleted first, so its items are unreachable (lookups go through the list) while
 * they are removed.
 */
export async function deleteItemsBatch(
  ctx: MutationCtx,
  listId: Id<"lists">,
  batch: number,
): Promise<boolean> {
  const rows = await ctx.db
    .query("listItems")
    .withIndex("by_listId_and_value", (q) => q.eq("listId", listId))
    .take(batch);
  for (const row of rows) await ctx.db.delete("listItems", row._id);
  return rows.length < batch;
}

/** Whether an item matches at `now`: stored, and not past its `expiresAt`. */
export function itemMatches(item: Pick<Doc<"listItems">, "expiresAt"> | null, now: number) {
  return item !== null && (item.expiresAt === undefined || item.expiresAt > now);
}

/**
 * Membership of `value` in the list named `name` at `now`: two index lookups (the list by
 * name, the item by `[listId, value]`), whatever the list's size. A missing list holds nothing.
 */
export async function isListed(
  ctx: QueryCtx,
  name: string,
  value: string,
  now: number,
): Promise<boolean> {
  const list = await listByName(ctx, name);
  if (!list) return false;
  return itemMatches(await itemOf(ctx, list._id, value), now);
}

/**
 * A membership test for one evaluation (a payment, a backtest page): each list is resolved by
 * name once, then each test is one lookup on `[listId, value]`.
 */
export function membershipLookup(
  ctx: QueryCtx,
  now: number,
): (name: string, value: string) => Promise<boolean> {
  const lists = new Map<string, Promise<Doc<"lists"> | null>>();
  return async (name, value) => {
    let list = lists.get(name);
    if (!list) {
      list = listByName(ctx, name);
      lists.set(name, list);
    }
    const doc = await list;
    return doc !== null && itemMatches(await itemOf(ctx, doc._id, value), now);
  };
}
