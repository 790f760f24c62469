/**
 * The one feature implementation, shared by batch training (`computeFeatureMatrix` in
 * `batch.ts`) and online scoring of one payment (`computeFeatures` over window statistics).
 * Pure: no Node APIs, no TF.js. Windows and ties are defined in `windows.ts`, the statistics
 * every feature is a function of in `statistics.ts`; `assembleFeatures` is the one function that
 * turns them into a feature vector, on every path.
 */
import {
  customerStatsKind,
  statsFromRows,
  terminalStatsKind,
  toCents,
  type CustomerHistoryRow,
  type CustomerWindowStats,
  type TerminalHistoryRow,
  type TerminalWindowStats,
} from "./statistics";
import { utcHour, utcWeekday } from "./time";
import {
  CUSTOMER_WINDOW_DAYS,
  customerWindows,
  HANDBOOK_TERMINAL_WINDOW_DAYS,
  TERMINAL_WINDOW_DAYS,
  terminalWindows,
} from "./windows";

/** Last hour (UTC, inclusive) that counts as night: `hour <= 6`. */
export const NIGHT_LAST_HOUR = 6;

/** The handbook's 15 features ("BaselineFeatureTransformation"), in its order. */
export const HANDBOOK_FEATURES = [
  "TX_AMOUNT",
  "TX_DURING_WEEKEND",
  "TX_DURING_NIGHT",
  "CUSTOMER_ID_NB_TX_1DAY_WINDOW",
  "CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW",
  "CUSTOMER_ID_NB_TX_7DAY_WINDOW",
  "CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW",
  "CUSTOMER_ID_NB_TX_30DAY_WINDOW",
  "CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW",
  "TERMINAL_ID_NB_TX_1DAY_WINDOW",
  "TERMINAL_ID_RISK_1DAY_WINDOW",
  "TERMINAL_ID_NB_TX_7DAY_WINDOW",
  "TERMINAL_ID_RISK_7DAY_WINDOW",
  "TERMINAL_ID_NB_TX_30DAY_WINDOW",
  "TERMINAL_ID_RISK_30DAY_WINDOW",
] as const;

/**
 * Our extra features, all functions of the same decomposable statistics. "Prior" means the
 * customer's history in the window, without the current payment.
 * - `TX_AMOUNT_LOG`: `ln(1 + amount)`.
 * - `CUSTOMER_ID_AMOUNT_LOG_RATIO_{7,30}DAY_WINDOW`: `ln((1 + amount) / (1 + prior mean))`, 0 without prior.
 * - `CUSTOMER_ID_AMOUNT_ZSCORE_30DAY_WINDOW`: `(amount - prior mean) / max(prior std, 0.1 * prior mean + 1)`,
 *   clipped to [-20, 20], 0 with fewer than 2 prior payments.
 * - `CUSTOMER_ID_AMOUNT_LOG_RATIO_MAX_30DAY_WINDOW`: `ln((1 + amount) / (1 + prior max))`, 0 without prior.
 * - `TERMINAL_ID_NB_FRAUD_{7,30}DAY_WINDOW`: frauds in the delayed terminal window.
 * - `TERMINAL_ID_NB_FRAUD_DAYS_22_TO_30_OF_30DAY_WINDOW`: frauds in the oldest 9 days of the delayed
 *   30-day window, `(t - 37d, t - 28d]`. Compromises of a terminal last a while and then end: known
 *   frauds that are both recent and old point to a compromise that may be over.
 * - `TERMINAL_ID_FRAUD_AVG_AMOUNT_{7,30}DAY_WINDOW`: mean amount of the known frauds in the delayed
 *   window, 0 without fraud: a compromised terminal's frauds are ordinary payments, while a stray
 *   card fraud that happened there usually has an outsized amount.
 */
export const EXTRA_FEATURES = [
  "TX_AMOUNT_LOG",
  "CUSTOMER_ID_AMOUNT_LOG_RATIO_7DAY_WINDOW",
  "CUSTOMER_ID_AMOUNT_LOG_RATIO_30DAY_WINDOW",
  "CUSTOMER_ID_AMOUNT_ZSCORE_30DAY_WINDOW",
  "CUSTOMER_ID_AMOUNT_LOG_RATIO_MAX_30DAY_WINDOW",
  "TERMINAL_ID_NB_FRAUD_7DAY_WINDOW",
  "TERMINAL_ID_NB_FRAUD_30DAY_WINDOW",
  "TERMINAL_ID_NB_FRAUD_DAYS_22_TO_30_OF_30DAY_WINDOW",
  "TERMINAL_ID_FRAUD_AVG_AMOUNT_7DAY_WINDOW",
  "TERMINAL_ID_FRAUD_AVG_AMOUNT_30DAY_WINDOW",
] as const;

/** Every feature, in vector order: the handbook's 15, then ours. */
export const FEATURE_NAMES = [...HANDBOOK_FEATURES, ...EXTRA_FEATURES] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** The payment being scored. `timestamp` in integer ms (UTC), `amount` in currency units (>= 0). */
export interface Payment {
  timestamp: number;
  amount: number;
}

const ZSCORE_CLIP = 20;

function logRatio(amount: number, reference: number): number {
  return Math.log((1 + amount) / (1 + reference));
}

/**
 * The assembly step, shared by every path: writes the feature vector of `payment` into
 * `out[offset .. offset + FEATURE_COUNT)` from its window statistics (customer stats per
 * `CUSTOMER_WINDOW_DAYS`, terminal stats per `TERMINAL_WINDOW_DAYS`, current payment excluded).
 */
export function assembleFeatures(
  payment: Payment,
  customer: readonly CustomerWindowStats[],
  terminal: readonly TerminalWindowStats[],
  out: Float64Array | number[],
  offset = 0,
): void {
  if (customer.length !== CUSTOMER_WINDOW_DAYS.length) throw new Error("customer stats per window");
  if (terminal.length !== TERMINAL_WINDOW_DAYS.length) throw new Error("terminal stats per window");
  const t = payment.timestamp;
  const amount = payment.amount;
  const cents = toCents(amount);
  const wd = utcWeekday(t);
  let k = offset;
  out[k++] = amount;
  out[k++] = wd === 0 || wd === 6 ? 1 : 0;
  out[k++] = utcHour(t) <= NIGHT_LAST_HOUR ? 1 : 0;
  for (const s of customer) {
    const n = s.count + 1;
    out[k++] = n;
    out[k++] = (s.amountCents + cents) / n / 100;
  }
  for (let w = 0; w < HANDBOOK_TERMINAL_WINDOW_DAYS.length; w++) {
    const s = terminal[w];
    out[k++] = s.count;
    out[k++] = s.count > 0 ? s.frauds / s.count : 0;
  }
  // Extras (EXTRA_FEATURES order).
  const c7 = customer[1];
  const c30 = customer[2];
  out[k++] = Math.log1p(amount);
  out[k++] = c7.count > 0 ? logRatio(amount, c7.amountCents / c7.count / 100) : 0;
  out[k++] = c30.count > 0 ? logRatio(amount, c30.amountCents / c30.count / 100) : 0;
  if (c30.count >= 2) {
    const meanCents = c30.amountCents / c30.count;
    const variance = Math.max(0, c30.amountCentsSq / c30.count - meanCents * meanCents);
    const scale = Math.max(Math.sqrt(variance), 0.1 * meanCents + 100);
    const z = (cents - meanCents) / scale;
    out[k++] = Math.max(-ZSCORE_CLIP, Math.min(ZSCORE_CLIP, z));
  } else {
    out[k++] = 0;
  }
  out[k++] = c30.count > 0 ? logRatio(amount, c30.maxAmountCents / 100) : 0;
  out[k++] = terminal[1].frauds;
  out[k++] = terminal[2].frauds;
  out[k++] = terminal[2].frauds - terminal[3].frauds;
  for (const w of [1, 2]) {
    const s = terminal[w];
    out[k++] = s.frauds > 0 ? s.fraudAmountCents / s.frauds / 100 : 0;
  }
}

/** The feature vector of one payment from its window statistics (see `assembleFeatures`). */
export function computeFeatures(
  payment: Payment,
  customer: readonly CustomerWindowStats[],
  terminal: readonly TerminalWindowStats[],
): Float64Array {
  const out = new Float64Array(FEATURE_COUNT);
  assembleFeatures(payment, customer, terminal, out, 0);
  return out;
}

/**
 * Single-payment path by exact scan. `customerHistory` / `terminalHistory` must hold only payments
 * that precede this one (see "Ties"); rows outside the windows are ignored.
 */
export function featuresFromHistory(
  payment: Payment,
  customerHistory: readonly CustomerHistoryRow[],
  terminalHistory: readonly TerminalHistoryRow[],
): Float64Array {
  return computeFeatures(
    payment,
    customerWindows(payment.timestamp).map((w) =>
      statsFromRows(customerStatsKind, customerHistory, w),
    ),
    terminalWindows(payment.timestamp).map((w) =>
      statsFromRows(terminalStatsKind, terminalHistory, w),
    ),
  );
}

/** Names a feature vector. */
export function featureRecord(vector: ArrayLike<number>): Record<FeatureName, number> {
  if (vector.length !== FEATURE_COUNT) throw new Error(`expected ${FEATURE_COUNT} features`);
  const out = {} as Record<FeatureName, number>;
  FEATURE_NAMES.forEach((name, i) => (out[name] = vector[i]));
  return out;
}
