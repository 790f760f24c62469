import { v, type Infer } from "convex/values";
import type { CustomerWindowStats, TerminalWindowStats } from "./features";

/**
 * Convex validators for the feature module's window statistics, which the day aggregates
 * store and the scoring query returns. The assignments below fail to compile if the two
 * ever disagree.
 */
export const customerStats = v.object({
  count: v.number(),
  amountCents: v.number(),
  amountCentsSq: v.number(),
  maxAmountCents: v.number(),
});

export const terminalStats = v.object({
  count: v.number(),
  frauds: v.number(),
  fraudAmountCents: v.number(),
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const customerStatsMatch: Same<Infer<typeof customerStats>, CustomerWindowStats> = true;
const terminalStatsMatch: Same<Infer<typeof terminalStats>, TerminalWindowStats> = true;
export const STATS_VALIDATORS_MATCH_FEATURES = customerStatsMatch && terminalStatsMatch;
