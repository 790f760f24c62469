import { v, type Infer } from "convex/values";

/**
 * Convex validators of the lists domain: named sets of strings (card fingerprints, customer
 * ids, terminal ids, emails, countries) that rules test membership in (`x in lists.<name>`).
 */

/** A list's name: what rules call it (`lists.<name>`). */
export const LIST_NAME_PATTERN = /^[a-z0-9_]{1,64}$/;
/** The longest value a list item may hold. */
export const MAX_ITEM_VALUE_CHARS = 256;
/** Items one request may add: the bound on the writes of one mutation. */
export const MAX_ITEMS_PER_REQUEST = 1000;
/** Items one step of a list deletion deletes. */
export const LIST_DELETE_BATCH = 1000;

export const newList = v.object({ name: v.string(), description: v.optional(v.string()) });
export type NewList = Infer<typeof newList>;

export const listFields = {
  name: v.string(),
  description: v.optional(v.string()),
  createdAt: v.number(),
};

/**
 * A list's item count, apart from the list: every scoring that tests the list reads the list
 * document, so the writes of adding and removing items go elsewhere and never conflict with it.
 */
export const listCountFields = {
  listId: v.id("lists"),
  /** Items stored now (expired items count until they are removed). */
  itemCount: v.number(),
};

export const listItemFields = {
  listId: v.id("lists"),
  value: v.string(),
  note: v.optional(v.string()),
  /** After this instant (ms) the item no longer matches. */
  expiresAt: v.optional(v.number()),
  addedAt: v.number(),
};

export const newListItem = v.object({
  value: v.string(),
  note: v.optional(v.string()),
  expiresAt: v.optional(v.number()),
});
export type NewListItem = Infer<typeof newListItem>;

/** A list as the API shows it. */
export const listView = v.object({
  id: v.id("lists"),
  name: v.string(),
  description: v.union(v.string(), v.null()),
  itemCount: v.number(),
  createdAt: v.number(),
});
export type ListView = Infer<typeof listView>;

export const listItemView = v.object({
  value: v.string(),
  note: v.union(v.string(), v.null()),
  expiresAt: v.union(v.number(), v.null()),
  addedAt: v.number(),
});
export type ListItemView = Infer<typeof listItemView>;

/** A page of lists or items; `nextCursor` (the last key returned) is null on the last page. */
export const listPage = v.object({
  data: v.array(listView),
  nextCursor: v.union(v.string(), v.null()),
});
export type ListPage = Infer<typeof listPage>;
export const listItemPage = v.object({
  data: v.array(listItemView),
  nextCursor: v.union(v.string(), v.null()),
});
export type ListItemPage = Infer<typeof listItemPage>;

export const addItemsResult = v.object({ added: v.number(), existing: v.number() });
export type AddItemsResult = Infer<typeof addItemsResult>;
