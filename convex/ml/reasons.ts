import { v, type Infer } from "convex/values";
import { TERMINAL_DELAY_DAYS } from "./windows";

/**
 * Turns per-feature contributions into the reasons an analyst reads. A feature's
 * contribution is its share of the ensemble's log-odds: the stacked ensemble is linear in
 * the two models' logits, the logistic logit is exactly the sum of coefficient x
 * standardised value, and the network's integrated-gradient attributions sum to its logit
 * (relative to the average payment), so `a * logistic_j + b * network_j` adds up, over the
 * features, to how far this payment's log-odds sit from the average payment's.
 */

/** One reason of a decision: a feature, its value, its share of the log-odds, and a sentence. */
export const reason = v.object({
  feature: v.string(),
  value: v.number(),
  contribution: v.number(),
  text: v.string(),
});
export type Reason = Infer<typeof reason>;

/** How many reasons a decision carries. */
export const REASON_COUNT = 3;

export type Contribution = { feature: string; value: number; contribution: number };

/** Context the sentences need beyond the feature values. */
export type ReasonContext = { amount: number; currency: string };

const money = (amount: number, currency: string) => `${amount.toFixed(2)} ${currency}`;
const times = (ratio: number) => `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}x`;
const percent = (share: number) => `${Math.round(share * 100)}%`;
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "the previous 7 days" style description of a customer window. */
function customerSpan(days: number): string {
  return days === 1 ? "the last 24 hours" : `the last ${days} days`;
}

/** "between 7 and 37 days ago": terminal windows end 7 days back, as labels arrive with that delay. */
function terminalSpan(days: number): string {
  return `between ${TERMINAL_DELAY_DAYS} and ${TERMINAL_DELAY_DAYS + days} days ago`;
}

/**
 * The sentence for one feature value, in words a fraud analyst uses
 * (e.g. "the amount is 6.2x this customer's 30-day average").
 */
export function describeFeature(feature: string, value: number, ctx: ReasonContext): string {
  const window = /_(\d+)DAY_WINDOW$/.exec(feature);
  const days = window ? Number(window[1]) : 0;
  switch (true) {
    case feature === "TX_AMOUNT" || feature === "TX_AMOUNT_LOG":
      return `the amount is ${money(ctx.amount, ctx.currency)}`;
    case feature === "TX_DURING_WEEKEND":
      return value >= 0.5 ? "it was made on a weekend" : "it was made on a weekday";
    case feature === "TX_DURING_NIGHT":
      return value >= 0.5 ? "it was made at night (before 07:00 UTC)" : "it was made in daytime";
    case feature.startsWith("CUSTOMER_ID_NB_TX_"):
      return `the customer made ${plural(Math.round(value), "payment", "payments")} in ${customerSpan(days)}, this one included`;
    case feature.startsWith("CUSTOMER_ID_AVG_AMOUNT_"):
      return `the customer's average payment over ${customerSpan(days)} is ${money(value, ctx.currency)}`;
    case feature.startsWith("CUSTOMER_ID_AMOUNT_LOG_RATIO_MAX_"):
      return value > 0
        ? `the amount is ${times(Math.exp(value))} the customer's largest payment of ${customerSpan(days)}`
        : `the amount is within the customer's usual range for ${customerSpan(days)}`;
    case feature.startsWith("CUSTOMER_ID_AMOUNT_LOG_RATIO_"):
      return value === 0
        ? `the customer made no other payment in ${customerSpan(days)}`
        : `the amount is ${times(Math.exp(value))} this customer's ${days}-day average`;
    case feature.startsWith("CUSTOMER_ID_AMOUNT_ZSCORE_"):
      return `the amount is ${Math.abs(value).toFixed(1)} standard deviations ${value >= 0 ? "above" : "below"} this customer's ${days}-day norm`;
    case feature.startsWith("TERMINAL_ID_NB_TX_"):
      return `the terminal processed ${plural(Math.round(value), "payment", "payments")} ${terminalSpan(days)}`;
    case feature.startsWith("TERMINAL_ID_RISK_"):
      return value > 0
        ? `${percent(value)} of this terminal's payments ${terminalSpan(days)} were confirmed fraud`
        : `none of this terminal's payments ${terminalSpan(days)} were confirmed fraud`;
    case feature === "TERMINAL_ID_NB_FRAUD_DAYS_22_TO_30_OF_30DAY_WINDOW":
      // The oldest 9 days of the delayed 30-day window: a compromise that may be over.
      return `the terminal had ${plural(Math.round(value), "confirmed fraud", "confirmed frauds")} between ${TERMINAL_DELAY_DAYS + 21} and ${TERMINAL_DELAY_DAYS + 30} days ago`;
    case feature.startsWith("TERMINAL_ID_NB_FRAUD_"):
      return `the terminal had ${plural(Math.round(value), "confirmed fraud", "confirmed frauds")} ${terminalSpan(days)}`;
    case feature.startsWith("TERMINAL_ID_FRAUD_AVG_AMOUNT_"):
      return value > 0
        ? `the terminal's confirmed frauds ${terminalSpan(days)} averaged ${money(value, ctx.currency)}`
        : `the terminal had no confirmed fraud ${terminalSpan(days)}`;
    default:
      return `${feature.toLowerCase().replace(/_/g, " ")} is ${Number(value.toPrecision(4))}`;
  }
}

/**
 * The strongest reasons, largest magnitude first. Features that state the same fact (the
 * amount and its logarithm) form one reason whose contribution is their sum; the feature
 * and value shown are those of its largest part.
 */
export function topReasons(contributions: Contribution[], ctx: ReasonContext): Reason[] {
  const byText = new Map<string, { lead: Contribution; total: number }>();
  for (const c of contributions) {
    if (!Number.isFinite(c.contribution) || c.contribution === 0) continue;
    const text = describeFeature(c.feature, c.value, ctx);
    const group = byText.get(text);
    if (!group) byText.set(text, { lead: c, total: c.contribution });
    else {
      group.total += c.contribution;
      if (Math.abs(c.contribution) > Math.abs(group.lead.contribution)) group.lead = c;
    }
  }
  return [...byText.entries()]
    .sort(([, a], [, b]) => Math.abs(b.total) - Math.abs(a.total))
    .slice(0, REASON_COUNT)
    .map(([text, { lead, total }]) => ({
      feature: lead.feature,
      value: lead.value,
      contribution: total,
      text,
    }));
}
