/**
 * Time in the feature code: integer milliseconds since the Unix epoch, UTC. The handbook's
 * `TX_DATETIME` is a naive date-time; we read it as UTC, so weekday and hour are UTC ones.
 */

/** Milliseconds in one day. Windows are exact multiples of it, not calendar days. */
export const DAY_MS = 86_400_000;
/** Milliseconds in one hour. */
export const HOUR_MS = 3_600_000;

/** UTC day index of a timestamp (`floor(ts / DAY_MS)`): the key of per-day aggregates. */
export function dayIndex(ts: number): number {
  return Math.floor(ts / DAY_MS);
}

/** UTC weekday, 0 = Sunday … 6 = Saturday. */
export function utcWeekday(ts: number): number {
  return (((dayIndex(ts) + 4) % 7) + 7) % 7;
}

/** UTC hour of day, 0 … 23. */
export function utcHour(ts: number): number {
  return Math.floor((ts - dayIndex(ts) * DAY_MS) / HOUR_MS);
}
