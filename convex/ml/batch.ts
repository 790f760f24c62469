import { FEATURE_COUNT, assembleFeatures, type Payment } from "./features";
import {
  customerStatsKind,
  terminalStatsKind,
  toCents,
  type CustomerWindowStats,
  type TerminalWindowStats,
} from "./statistics";
import {
  CUSTOMER_WINDOW_DAYS,
  customerWindow,
  isAfterStart,
  isAtMostEnd,
  TERMINAL_WINDOW_DAYS,
  terminalWindow,
} from "./windows";

/**
 * The batch path of the feature code (training, evaluation, the replay's offline check): every
 * payment of a table at once, by sliding windows, with exactly the statistics and the assembly
 * of the single-payment path (`features.ts`).
 */

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
      const s = customerStatsKind.empty();
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
      const s = terminalStatsKind.empty();
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
  const cs: CustomerWindowStats[] = CUSTOMER_WINDOW_DAYS.map(() => customerStatsKind.empty());
  const tsStats: TerminalWindowStats[] = TERMINAL_WINDOW_DAYS.map(() => terminalStatsKind.empty());
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
