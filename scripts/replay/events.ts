import type { TransactionTable } from "../ml/csv";

const DAY_MS = 86_400_000;

/**
 * What a bank's systems send over time when the simulated payments happen: each payment
 * at its own timestamp, and each fraud's label ("chargeback") some days later.
 */
export type ReplayEvent =
  { kind: "payment"; time: number; row: number } | { kind: "label"; time: number; row: number };

export type LabelDelay = {
  /** Shortest delay between a fraud and its label, in days. */
  minDays: number;
  /** Longest delay, in days; up to 7 the online terminal risk sees every label the training did. */
  maxDays: number;
};

export const DEFAULT_LABEL_DELAY: LabelDelay = { minDays: 1, maxDays: 7 };

/** A deterministic uniform in [0, 1) from a row number (same data, same delays). */
function unitHash(n: number): number {
  let x = (n + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  x ^= x >>> 16;
  return (x >>> 0) / 2 ** 32;
}

/** The delay (ms) after which the fraud in `row` is reported, whole seconds. */
export function labelDelayMs(row: number, delay: LabelDelay): number {
  const days = delay.minDays + unitHash(row) * (delay.maxDays - delay.minDays);
  return Math.round((days * DAY_MS) / 1000) * 1000;
}

/**
 * The events of some rows of a table, in time order:
 * payments at their timestamps (ties by the table's sequence), labels of the frauds among
 * them after their delay. A label and a payment at the same instant: the label first, as a
 * label "known at time t" counts for a payment at t. Labels falling after `until` are dropped.
 */
export function replayEvents(
  table: TransactionTable,
  rows: ArrayLike<number>,
  delay: LabelDelay,
  until = Infinity,
): ReplayEvent[] {
  const events: ReplayEvent[] = [];
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k];
    const time = table.timestampMs[row];
    events.push({ kind: "payment", time, row });
    if (table.fraud[row]) {
      const labelTime = time + labelDelayMs(row, delay);
      if (labelTime <= until) events.push({ kind: "label", time: labelTime, row });
    }
  }
  const rank = (e: ReplayEvent) => (e.kind === "label" ? 0 : 1);
  events.sort(
    (a, b) =>
      a.time - b.time ||
      rank(a) - rank(b) ||
      table.sequence[a.row] - table.sequence[b.row] ||
      a.row - b.row,
  );
  return events;
}
