import { v, type Infer } from "convex/values";

/** The two sides of a payment's history: its customer's and its terminal's. */
export const historySide = v.union(v.literal("customer"), v.literal("terminal"));
export type HistorySideName = Infer<typeof historySide>;

/** Where a payment's history rows are (set when it is staged; absent on older payments). */
export const historyRowIds = v.object({
  customer: v.id("historyRows"),
  terminal: v.id("historyRows"),
});
