import { defineTable } from "convex/server";
import { listCountFields, listFields, listItemFields } from "./validators";

/** Lists and their items (see `model/lists/lists.ts`). */
export const listsTables = {
  /**
   * Written by `lists.createForApi` (insert) and `lists.deleteForApi` (delete) only: scorings
   * read it for every lookup in the list, so nothing else writes it.
   */
  lists: defineTable(listFields).index("by_name", ["name"]),
  /**
   * One row per list: written by `lists.createForApi` (insert), `lists.addItemsForApi` and
   * `lists.removeItemForApi` (`itemCount`), and `lists.deleteForApi` (delete).
   */
  listCounts: defineTable(listCountFields).index("by_listId", ["listId"]),
  /**
   * Written by `lists.addItemsForApi` (insert, or note/expiry of an existing value),
   * `lists.removeItemForApi` (delete) and `lists.deleteItemsBatch` (the items of a deleted
   * list, in batches). Membership is one lookup on `by_listId_and_value`.
   */
  listItems: defineTable(listItemFields).index("by_listId_and_value", ["listId", "value"]),
};
