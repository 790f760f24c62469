import { v } from "convex/values";
import { internal } from "./_generated/api";
import { internalMutation, internalQuery } from "./_generated/server";
import { analystQuery } from "./functions";
import { fail } from "./model/errors";
import { backtestStep, startBacktest, toBacktestView } from "./model/rules/backtest";
import { backtestView, newBacktest } from "./model/rules/validators";

/**
 * Backtests run as a chain of scheduled internal mutations, one page of payments each
 * (`model/rules/backtest.ts`). A mutation is exactly once and records its page and the cursor
 * of the next together, so the chain neither skips nor counts a page twice.
 */

/** A backtest, for `useQuery`: its progress and result update live (analysts only). */
export const get = analystQuery({
  args: { id: v.id("backtests") },
  returns: v.union(backtestView, v.null()),
  handler: async (ctx, { id }) => {
    const doc = await ctx.db.get("backtests", id);
    return doc ? toBacktestView(doc) : null;
  },
});

// The functions below serve the REST API, which checks the API key first.

export const startForApi = internalMutation({
  args: { input: newBacktest, pageSize: v.optional(v.number()) },
  returns: backtestView,
  handler: async (ctx, { input, pageSize }) => {
    const doc = await startBacktest(ctx, input, pageSize);
    await ctx.scheduler.runAfter(0, internal.backtests.step, { id: doc._id });
    return toBacktestView(doc);
  },
});

export const getForApi = internalQuery({
  args: { id: v.string() },
  returns: backtestView,
  handler: async (ctx, { id }) => {
    const backtestId = ctx.db.normalizeId("backtests", id);
    const doc = backtestId ? await ctx.db.get("backtests", backtestId) : null;
    if (!doc) fail("not_found", "Backtest not found.");
    return toBacktestView(doc);
  },
});

/** One page of a backtest; schedules the next until the window is scanned. */
export const step = internalMutation({
  args: { id: v.id("backtests") },
  returns: v.null(),
  handler: async (ctx, { id }) => {
    const doc = await ctx.db.get("backtests", id);
    if (!doc) return null;
    const done = await backtestStep(ctx, doc);
    if (!done) await ctx.scheduler.runAfter(0, internal.backtests.step, { id });
    return null;
  },
});
