import type { Doc } from "../../_generated/dataModel";
import type { QueryCtx } from "../../_generated/server";
import { MAX_RULES } from "./validators";

/** The active and shadow rules, in evaluation order (creation). At most {@link MAX_RULES} rows. */
export async function liveRules(ctx: QueryCtx): Promise<Doc<"rules">[]> {
  const active = await ctx.db
    .query("rules")
    .withIndex("by_mode", (q) => q.eq("mode", "active"))
    .take(MAX_RULES);
  const shadow = await ctx.db
    .query("rules")
    .withIndex("by_mode", (q) => q.eq("mode", "shadow"))
    .take(MAX_RULES);
  return [...active, ...shadow].sort((a, b) => a._creationTime - b._creationTime);
}

/** The active or shadow rules whose expression references the list `name`. */
export async function rulesUsingList(ctx: QueryCtx, name: string): Promise<Doc<"rules">[]> {
  return (await liveRules(ctx)).filter((rule) => rule.listNames.includes(name));
}
