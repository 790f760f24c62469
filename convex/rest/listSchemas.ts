import { z } from "zod";
import { convexToZod } from "convex-helpers/server/zod4";
import {
  LIST_NAME_PATTERN,
  listItemView,
  listView,
  MAX_ITEM_VALUE_CHARS,
  MAX_ITEMS_PER_REQUEST,
  type NewList,
  type NewListItem,
} from "../model/lists/validators";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./constants";

/** The zod schemas of the lists endpoints (see `schemas.ts` for the conventions). */

export const createListBody = z
  .strictObject({
    name: z
      .string()
      .regex(LIST_NAME_PATTERN, "1-64 characters of a-z, 0-9 and _")
      .meta({ description: "What rules call it: `x in lists.<name>`." }),
    description: z.string().trim().min(1).max(500).optional(),
  })
  .meta({ id: "CreateList" });

const listItemBody = z.strictObject({
  value: z.string().min(1).max(MAX_ITEM_VALUE_CHARS),
  note: z.string().max(500).optional(),
  expiresAt: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .meta({ description: "After this instant (ms since epoch) the item no longer matches." }),
});

export const addListItemsBody = z
  .strictObject({ items: z.array(listItemBody).min(1).max(MAX_ITEMS_PER_REQUEST) })
  .meta({ id: "AddListItems" });

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().min(1).max(1000).optional(),
});

export const listSchema = convexToZod(listView).meta({ id: "List" });
export const listItemSchema = convexToZod(listItemView).meta({ id: "ListItem" });
export const listEnvelope = z.object({ list: listSchema });
export const listPageEnvelope = z.object({
  data: z.array(listSchema),
  nextCursor: z.string().nullable(),
});
export const listItemPageEnvelope = z.object({
  data: z.array(listItemSchema),
  nextCursor: z.string().nullable(),
});
export const addItemsEnvelope = z.object({ added: z.number(), existing: z.number() });

void ({} as z.output<typeof createListBody> satisfies NewList);
void ({} as z.output<typeof listItemBody> satisfies NewListItem);
