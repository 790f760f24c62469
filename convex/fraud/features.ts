/**
 * The one feature implementation, shared by batch training (`computeFeatureMatrix`) and online
 * scoring of one payment (`computeFeatures` over window statistics). Pure: no Node APIs, no TF.js.
 *
 * ## Time
 * Timestamps are integer milliseconds since the Unix epoch, UTC. The handbook's `TX_DATETIME` is a
 * naive date-time; we read it as UTC, so `TX_DURING_WEEKEND` / `TX_DURING_NIGHT` use the UTC
 * weekday and hour. Windows are exact durations (`n * 86_400_000` ms), not calendar days.
 *
 * ## Windows (all half-open on the left, closed on the right: `(after, atMost]`)
 * - customer window of `n` days at time `t`: `(t - n days, t]`; the current payment is included in
 *   the handbook's `NB_TX` and `AVG_AMOUNT` (it is added by `computeFeatures`, never passed in the
 *   history);
 * - terminal window of `n` days: `(t - 7 days - n days, t - 7 days]` (labels are known 7 days late);
 * - risk = frauds / payments in the terminal window, 0 when the window is empty.
 *
 * ## Ties (equal timestamps)
 * Payments are totally ordered by `(timestamp, sequence)`; the sequence is the TRANSACTION_ID offline
 * and the arrival order online. A payment's history is every payment of the same customer /
 * terminal that precedes it in that order: an earlier-received payment with the same timestamp is
 * inside `(t - n, t]` and counts, a later-received one does not. Terminal windows end 7 days before
 * `t`, so ties never matter there.
 *
 * ## Decomposable statistics
 * Features are a pure function of the payment `{timestamp, amount}` and, per window, of
 * `CustomerWindowStats` (count, sum and sum of squares of amounts in cents, max amount in cents) over
 * the customer's history and `TerminalWindowStats` (count, frauds, fraud amounts in cents) over
 * the terminal's. Every field
 * merges over disjoint parts (`mergeCustomerStats`, `mergeTerminalStats`), so online code can add
 * per-day aggregates for the whole UTC days inside a window (`planWindow`) to an exact scan of the
 * raw rows at the window's edges (`customerStatsFromParts`) and get exactly the stats of a full scan.
 * Amounts are accumulated as integer cents (`toCents`), so sums are exact (while sums of squared
 * cents stay below 2^53, i.e. about 9e15) and independent of summation order.
 */

/** Milliseconds in one day / hour. */
export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** Customer window lengths in days, in the handbook's order. */
export const CUSTOMER_WINDOW_DAYS = [1, 7, 30] as const;
/** The handbook's terminal window lengths in days, in its order. */
export const HANDBOOK_TERMINAL_WINDOW_DAYS = [1, 7, 30] as const;
/**
 * Every terminal window with statistics, in stats-array order: the handbook's three, then a 21-day
 * window (ours), whose difference with the 30-day one gives the frauds in the oldest 9 days.
 */
export const TERMINAL_WINDOW_DAYS = [...HANDBOOK_TERMINAL_WINDOW_DAYS, 21] as const;
/** Terminal windows end this many days before the payment (the label delay). */
export const TERMINAL_DELAY_DAYS = 7;
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

const ZSCORE_CLIP = 20;

/** A time range `(after, atMost]` in integer milliseconds. */
export interface TimeRange {
  after: number;
  atMost: number;
}

/** The payment being scored. `timestamp` in integer ms (UTC), `amount` in currency units (>= 0). */
export interface Payment {
  timestamp: number;
  amount: number;
}

/** A past payment of the same customer. */
export interface CustomerHistoryRow {
  timestamp: number;
  amount: number;
}

/** A past payment at the same terminal, with its (possibly delayed) fraud label. */
export interface TerminalHistoryRow {
  timestamp: number;
  amount: number;
  fraud: boolean | number;
}

/** Decomposable statistics of a customer's payments in one window (current payment excluded). */
export interface CustomerWindowStats {
  count: number;
  /** Sum of amounts, integer cents. */
  amountCents: number;
  /** Sum of squared amounts, cents squared. */
  amountCentsSq: number;
  /** Largest amount in cents; 0 when empty (amounts are non-negative). */
  maxAmountCents: number;
}

/** Decomposable statistics of a terminal's payments in one (delayed) window. */
export interface TerminalWindowStats {
  count: number;
  frauds: number;
  /** Sum of the fraud payments' amounts, integer cents. */
  fraudAmountCents: number;
}

/** Amount in integer cents (`Math.round(amount * 100)`), the unit of all customer sums. */
export function toCents(amount: number): number {
  return Math.round(amount * 100);
}

/** The customer window of `days` days at time `t`: `(t - days, t]`. */
export function customerWindow(t: number, days: number): TimeRange {
  return { after: t - days * DAY_MS, atMost: t };
}

/** The terminal window of `days` days at time `t`: `(t - 7d - days, t - 7d]`. */
export function terminalWindow(t: number, days: number): TimeRange {
  const end = t - TERMINAL_DELAY_DAYS * DAY_MS;
  return { after: end - days * DAY_MS, atMost: end };
}

/** `ts` is past the range's (exclusive) start. */
export function isAfterStart(ts: number, r: TimeRange): boolean {
  return ts > r.after;
}

/** `ts` is not past the range's (inclusive) end. */
export function isAtMostEnd(ts: number, r: TimeRange): boolean {
  return ts <= r.atMost;
}

/** `ts` lies in `(after, atMost]`. */
export function inRange(ts: number, r: TimeRange): boolean {
  return isAfterStart(ts, r) && isAtMostEnd(ts, r);
}

/** UTC day index of a timestamp (`floor(ts / DAY_MS)`): the key of per-day aggregates. */
export function dayIndex(ts: number): number {
  return Math.floor(ts / DAY_MS);
}

/** The day bucket `[day * DAY_MS, (day + 1) * DAY_MS)` written as `(after, atMost]` (integer ms). */
export function dayRange(day: number): TimeRange {
  return { after: day * DAY_MS - 1, atMost: (day + 1) * DAY_MS - 1 };
}

/** How to read a window from storage: whole UTC days from aggregates, the rest from raw rows. */
export interface WindowPlan {
  /** Inclusive range of day indexes whose whole bucket lies inside the window, or null. */
  days: { first: number; last: number } | null;
  /** Disjoint partial ranges (0 to 2) to read as raw rows; with `days`, they tile the window. */
  edges: TimeRange[];
}

/** Splits a window into whole UTC days (read from per-day aggregates) and edge ranges (raw rows). */
export function planWindow(r: TimeRange): WindowPlan {
  if (r.atMost <= r.after) return { days: null, edges: [] };
  const first = Math.floor(r.after / DAY_MS) + 1;
  const last = Math.floor((r.atMost + 1) / DAY_MS) - 1;
  if (first > last) return { days: null, edges: [{ after: r.after, atMost: r.atMost }] };
  const edges: TimeRange[] = [];
  const lowEnd = first * DAY_MS - 1;
  if (lowEnd > r.after) edges.push({ after: r.after, atMost: lowEnd });
  const highStart = (last + 1) * DAY_MS - 1;
  if (r.atMost > highStart) edges.push({ after: highStart, atMost: r.atMost });
  return { days: { first, last }, edges };
}

/** Statistics of an empty customer window. */
export function emptyCustomerStats(): CustomerWindowStats {
  return { count: 0, amountCents: 0, amountCentsSq: 0, maxAmountCents: 0 };
}

/** Statistics of an empty terminal window. */
export function emptyTerminalStats(): TerminalWindowStats {
  return { count: 0, frauds: 0, fraudAmountCents: 0 };
}

/** Adds one payment (amount in currency units) to customer statistics, in place. */
export function addCustomerPayment(s: CustomerWindowStats, amount: number): CustomerWindowStats {
  const c = toCents(amount);
  s.count += 1;
  s.amountCents += c;
  s.amountCentsSq += c * c;
  if (c > s.maxAmountCents) s.maxAmountCents = c;
  return s;
}

/** Adds one labelled payment to terminal statistics, in place. */
export function addTerminalPayment(
  s: TerminalWindowStats,
  row: TerminalHistoryRow,
): TerminalWindowStats {
  s.count += 1;
  if (row.fraud) {
    s.frauds += 1;
    s.fraudAmountCents += toCents(row.amount);
  }
  return s;
}

/** Statistics of two disjoint sets of customer payments together. */
export function mergeCustomerStats(
  a: CustomerWindowStats,
  b: CustomerWindowStats,
): CustomerWindowStats {
  return {
    count: a.count + b.count,
    amountCents: a.amountCents + b.amountCents,
    amountCentsSq: a.amountCentsSq + b.amountCentsSq,
    maxAmountCents: Math.max(a.maxAmountCents, b.maxAmountCents),
  };
}

/** Statistics of two disjoint sets of terminal payments together. */
export function mergeTerminalStats(
  a: TerminalWindowStats,
  b: TerminalWindowStats,
): TerminalWindowStats {
  return {
    count: a.count + b.count,
    frauds: a.frauds + b.frauds,
    fraudAmountCents: a.fraudAmountCents + b.fraudAmountCents,
  };
}

/** Exact scan: statistics of the rows whose timestamp lies in `range`. */
export function customerStatsFromRows(
  rows: readonly CustomerHistoryRow[],
  range: TimeRange,
): CustomerWindowStats {
  const s = emptyCustomerStats();
  for (const row of rows) if (inRange(row.timestamp, range)) addCustomerPayment(s, row.amount);
  return s;
}

/** Exact scan: statistics of the rows whose timestamp lies in `range`. */
export function terminalStatsFromRows(
  rows: readonly TerminalHistoryRow[],
  range: TimeRange,
): TerminalWindowStats {
  const s = emptyTerminalStats();
  for (const row of rows) if (inRange(row.timestamp, range)) addTerminalPayment(s, row);
  return s;
}

/** Per-day aggregates of customer rows (what online storage keeps per customer and UTC day). */
export function customerDayAggregates(
  rows: readonly CustomerHistoryRow[],
): Map<number, CustomerWindowStats> {
  const out = new Map<number, CustomerWindowStats>();
  for (const row of rows) {
    const d = dayIndex(row.timestamp);
    let s = out.get(d);
    if (!s) out.set(d, (s = emptyCustomerStats()));
    addCustomerPayment(s, row.amount);
  }
  return out;
}

/** Per-day aggregates of terminal rows (what online storage keeps per terminal and UTC day). */
export function terminalDayAggregates(
  rows: readonly TerminalHistoryRow[],
): Map<number, TerminalWindowStats> {
  const out = new Map<number, TerminalWindowStats>();
  for (const row of rows) {
    const d = dayIndex(row.timestamp);
    let s = out.get(d);
    if (!s) out.set(d, (s = emptyTerminalStats()));
    addTerminalPayment(s, row);
  }
  return out;
}

/**
 * Window statistics from storage parts: the per-day aggregates of the window's whole days plus
 * the raw rows of its edges (`planWindow`). `edgeRows` may contain any rows: only those inside the
 * plan's edge ranges are used. Equal to `customerStatsFromRows` over all rows.
 */
export function customerStatsFromParts(
  range: TimeRange,
  dayStats: ReadonlyMap<number, CustomerWindowStats>,
  edgeRows: readonly CustomerHistoryRow[],
): CustomerWindowStats {
  const plan = planWindow(range);
  let s = emptyCustomerStats();
  if (plan.days) {
    for (let d = plan.days.first; d <= plan.days.last; d++) {
      const part = dayStats.get(d);
      if (part) s = mergeCustomerStats(s, part);
    }
  }
  for (const edge of plan.edges) s = mergeCustomerStats(s, customerStatsFromRows(edgeRows, edge));
  return s;
}

/** Terminal counterpart of `customerStatsFromParts`. */
export function terminalStatsFromParts(
  range: TimeRange,
  dayStats: ReadonlyMap<number, TerminalWindowStats>,
  edgeRows: readonly TerminalHistoryRow[],
): TerminalWindowStats {
  const plan = planWindow(range);
  let s = emptyTerminalStats();
  if (plan.days) {
    for (let d = plan.days.first; d <= plan.days.last; d++) {
      const part = dayStats.get(d);
      if (part) s = mergeTerminalStats(s, part);
    }
  }
  for (const edge of plan.edges) s = mergeTerminalStats(s, terminalStatsFromRows(edgeRows, edge));
  return s;
}

/** UTC weekday, 0 = Sunday … 6 = Saturday. */
export function utcWeekday(ts: number): number {
  return (((dayIndex(ts) + 4) % 7) + 7) % 7;
}

/** UTC hour of day, 0 … 23. */
export function utcHour(ts: number): number {
  return Math.floor((ts - dayIndex(ts) * DAY_MS) / HOUR_MS);
}

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

/** The customer windows of a payment at time `t`, in `CUSTOMER_WINDOW_DAYS` order. */
export function customerWindows(t: number): TimeRange[] {
  return CUSTOMER_WINDOW_DAYS.map((d) => customerWindow(t, d));
}

/** The (delayed) terminal windows of a payment at time `t`, in `TERMINAL_WINDOW_DAYS` order. */
export function terminalWindows(t: number): TimeRange[] {
  return TERMINAL_WINDOW_DAYS.map((d) => terminalWindow(t, d));
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
    customerWindows(payment.timestamp).map((w) => customerStatsFromRows(customerHistory, w)),
    terminalWindows(payment.timestamp).map((w) => terminalStatsFromRows(terminalHistory, w)),
  );
}

/** Names a feature vector. */
export function featureRecord(vector: ArrayLike<number>): Record<FeatureName, number> {
  if (vector.length !== FEATURE_COUNT) throw new Error(`expected ${FEATURE_COUNT} features`);
  const out = {} as Record<FeatureName, number>;
  FEATURE_NAMES.forEach((name, i) => (out[name] = vector[i]));
  return out;
}

/** Columns of a payments table for the batch path (one entry per payment). */
export interface FeatureBatchInput {
  length: number;
  /** Integer ms, UTC. */
  timestampMs: ArrayLike<number>;
  /** Tie-break for equal timestamps (TRANSACTION_ID / arrival order). */
  sequence: ArrayLike<number>;
  /** Dense entity indexes (0 .. max). */
  customer: ArrayLike<number>;
  terminal: ArrayLike<number>;
  amount: ArrayLike<number>;
  fraud: ArrayLike<number>;
}

/** Row order by `(timestamp, sequence)`; identity when the input is already in that order. */
function chronologicalOrder(input: FeatureBatchInput): Int32Array {
  const n = input.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const ts = input.timestampMs;
  const seq = input.sequence;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) {
    if (ts[i] < ts[i - 1] || (ts[i] === ts[i - 1] && seq[i] < seq[i - 1])) sorted = false;
  }
  if (!sorted) order.sort((a, b) => ts[a] - ts[b] || seq[a] - seq[b] || a - b);
  return order;
}

/** Groups rows (given in chronological order) by entity, keeping that order inside each group. */
function groupByEntity(
  order: Int32Array,
  entity: ArrayLike<number>,
): { start: Int32Array; rows: Int32Array } {
  let max = -1;
  for (let i = 0; i < order.length; i++) if (entity[i] > max) max = entity[i];
  const start = new Int32Array(max + 2);
  for (let i = 0; i < order.length; i++) start[entity[i] + 1]++;
  for (let k = 0; k <= max; k++) start[k + 1] += start[k];
  const fill = start.slice(0, max + 1);
  const rows = new Int32Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const r = order[i];
    rows[fill[entity[r]]++] = r;
  }
  return { start, rows };
}

/**
 * Batch path: the feature matrix (row-major, `length * FEATURE_COUNT`, rows in input order) of
 * every payment, each with the history of all payments before it in `(timestamp, sequence)` order.
 * Sliding windows (two pointers per entity and window) maintain the same statistics
 * `computeFeatures` takes, with the same window bounds, and `assembleFeatures` builds each row, so
 * it equals the single-payment path exactly.
 */
export function computeFeatureMatrix(input: FeatureBatchInput): Float64Array {
  const n = input.length;
  const out = new Float64Array(n * FEATURE_COUNT);
  const ts = input.timestampMs;
  const amount = input.amount;
  const fraud = input.fraud;
  const order = chronologicalOrder(input);
  const byCustomer = groupByEntity(order, input.customer);
  const byTerminal = groupByEntity(order, input.terminal);
  const nc = CUSTOMER_WINDOW_DAYS.length;
  const nt = TERMINAL_WINDOW_DAYS.length;

  // Per row, the statistics of each window, filled by the two sweeps below.
  const cStats = new Float64Array(n * nc * 4);
  const tStats = new Float64Array(n * nt * 3);

  // Customer sweep: window (t - n, t] over the rows before the current one in order.
  const cents = new Float64Array(n);
  for (let i = 0; i < n; i++) cents[i] = toCents(amount[i]);
  const deque = new Int32Array(n);
  for (let g = 0; g + 1 < byCustomer.start.length; g++) {
    const lo = byCustomer.start[g];
    const hi = byCustomer.start[g + 1];
    for (let w = 0; w < nc; w++) {
      const days = CUSTOMER_WINDOW_DAYS[w];
      const s = emptyCustomerStats();
      let left = lo;
      let dqHead = lo;
      let dqTail = lo; // deque[dqHead..dqTail) holds positions with decreasing cents (window max)
      for (let p = lo; p < hi; p++) {
        const r = byCustomer.rows[p];
        const win = customerWindow(ts[r], days);
        while (left < p && !isAfterStart(ts[byCustomer.rows[left]], win)) {
          const c = cents[byCustomer.rows[left]];
          s.count -= 1;
          s.amountCents -= c;
          s.amountCentsSq -= c * c;
          if (dqHead < dqTail && deque[dqHead] === left) dqHead++;
          left++;
        }
        const base = (r * nc + w) * 4;
        cStats[base] = s.count;
        cStats[base + 1] = s.amountCents;
        cStats[base + 2] = s.amountCentsSq;
        cStats[base + 3] = dqHead < dqTail ? cents[byCustomer.rows[deque[dqHead]]] : 0;
        // The current row becomes history for the next ones.
        const c = cents[r];
        s.count += 1;
        s.amountCents += c;
        s.amountCentsSq += c * c;
        while (dqHead < dqTail && cents[byCustomer.rows[deque[dqTail - 1]]] <= c) dqTail--;
        deque[dqTail++] = p;
      }
    }
  }

  // Terminal sweep: window (t - 7d - n, t - 7d]; one right pointer, one left pointer per window.
  for (let g = 0; g + 1 < byTerminal.start.length; g++) {
    const lo = byTerminal.start[g];
    const hi = byTerminal.start[g + 1];
    const rows = byTerminal.rows;
    for (let w = 0; w < nt; w++) {
      const days = TERMINAL_WINDOW_DAYS[w];
      const s = emptyTerminalStats();
      let left = lo;
      let right = lo;
      for (let p = lo; p < hi; p++) {
        const r = rows[p];
        const win = terminalWindow(ts[r], days);
        while (right < p && isAtMostEnd(ts[rows[right]], win)) {
          const q = rows[right];
          if (fraud[q]) {
            s.frauds += 1;
            s.fraudAmountCents += cents[q];
          }
          s.count += 1;
          right++;
        }
        while (left < right && !isAfterStart(ts[rows[left]], win)) {
          const q = rows[left];
          if (fraud[q]) {
            s.frauds -= 1;
            s.fraudAmountCents -= cents[q];
          }
          s.count -= 1;
          left++;
        }
        const base = (r * nt + w) * 3;
        tStats[base] = s.count;
        tStats[base + 1] = s.frauds;
        tStats[base + 2] = s.fraudAmountCents;
      }
    }
  }

  // Assembly, the same function as the single-payment path.
  const cs: CustomerWindowStats[] = CUSTOMER_WINDOW_DAYS.map(() => emptyCustomerStats());
  const tsStats: TerminalWindowStats[] = TERMINAL_WINDOW_DAYS.map(() => emptyTerminalStats());
  const payment: Payment = { timestamp: 0, amount: 0 };
  for (let r = 0; r < n; r++) {
    for (let w = 0; w < nc; w++) {
      const base = (r * nc + w) * 4;
      const s = cs[w];
      s.count = cStats[base];
      s.amountCents = cStats[base + 1];
      s.amountCentsSq = cStats[base + 2];
      s.maxAmountCents = cStats[base + 3];
    }
    for (let w = 0; w < nt; w++) {
      const base = (r * nt + w) * 3;
      tsStats[w].count = tStats[base];
      tsStats[w].frauds = tStats[base + 1];
      tsStats[w].fraudAmountCents = tStats[base + 2];
    }
    payment.timestamp = ts[r];
    payment.amount = amount[r];
    assembleFeatures(payment, cs, tsStats, out, r * FEATURE_COUNT);
  }
  return out;
}
