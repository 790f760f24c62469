import { DAY_MS } from "./time";

/**
 * The history windows of the features, all half-open on the left and closed on the right:
 * `(after, atMost]`.
 * - customer window of `n` days at time `t`: `(t - n days, t]`;
 * - terminal window of `n` days: `(t - 7 days - n days, t - 7 days]` (labels are known 7 days late).
 *
 * ## Ties (equal timestamps)
 * Payments are totally ordered by `(timestamp, sequence)`; the sequence is the TRANSACTION_ID offline
 * and the arrival order online. A payment's history is every payment of the same customer /
 * terminal that precedes it in that order: an earlier-received payment with the same timestamp is
 * inside `(t - n, t]` and counts, a later-received one does not. Terminal windows end 7 days before
 * `t`, so ties never matter there.
 */

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

/** A time range `(after, atMost]` in integer milliseconds. */
export interface TimeRange {
  after: number;
  atMost: number;
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

/** The customer windows of a payment at time `t`, in `CUSTOMER_WINDOW_DAYS` order. */
export function customerWindows(t: number): TimeRange[] {
  return CUSTOMER_WINDOW_DAYS.map((d) => customerWindow(t, d));
}

/** The (delayed) terminal windows of a payment at time `t`, in `TERMINAL_WINDOW_DAYS` order. */
export function terminalWindows(t: number): TimeRange[] {
  return TERMINAL_WINDOW_DAYS.map((d) => terminalWindow(t, d));
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

/** Merges overlapping or touching ranges, so each stretch of raw rows is read once. */
function coalesce(ranges: TimeRange[]): TimeRange[] {
  const sorted = [...ranges].sort((a, b) => a.after - b.after);
  const out: TimeRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.after <= last.atMost) last.atMost = Math.max(last.atMost, r.atMost);
    else out.push({ ...r });
  }
  return out;
}

/** What a set of windows reads together: one span of day aggregates, and the raw edge ranges. */
export function planWindows(windows: readonly TimeRange[]): WindowPlan {
  let first = Infinity;
  let last = -Infinity;
  const edges: TimeRange[] = [];
  for (const w of windows) {
    const plan = planWindow(w);
    if (plan.days) {
      first = Math.min(first, plan.days.first);
      last = Math.max(last, plan.days.last);
    }
    edges.push(...plan.edges);
  }
  return { days: first <= last ? { first, last } : null, edges: coalesce(edges) };
}
