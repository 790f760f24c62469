/**
 * How much of CP@100 the handbook protocol leaves within reach, on data that records each
 * fraud's scenario (the simulator's `TX_FRAUD_SCENARIO`).
 *
 * A compromised terminal (scenario 2) takes ordinary payments from ordinary customers: nothing
 * about them differs from legitimate ones except the terminal's fraud labels, and those arrive
 * 7 days late. Until a first fraud of that terminal is known (none in its delayed 30-day window),
 * its frauds are indistinguishable from legitimate payments for any model that respects the delay.
 * Every other fraud carries some signal: an outsized amount, a customer's unusual amount, or a
 * terminal with known frauds.
 */
import { FEATURE_COUNT, FEATURE_NAMES } from "../../convex/fraud/features";
import { cardPrecisionCeiling } from "./metrics";
import type { Dataset } from "./pipeline";

const KNOWN_TERMINAL_FRAUDS = FEATURE_NAMES.indexOf("TERMINAL_ID_NB_FRAUD_30DAY_WINDOW");

/**
 * Per row: 1 for a fraud that carries signal under the label delay, 0 for a legitimate payment
 * or a fraud of a not-yet-known compromised terminal; null when the data has no scenarios.
 */
export function signalFrauds(data: Dataset, rows: ArrayLike<number>): Uint8Array | null {
  const t = data.table;
  let scenarios = false;
  const out = new Uint8Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    if (!t.fraud[i]) continue;
    if (t.scenario[i]) scenarios = true;
    const unseenTerminal =
      t.scenario[i] === 2 && data.features[i * FEATURE_COUNT + KNOWN_TERMINAL_FRAUDS] === 0;
    out[k] = unseenTerminal ? 0 : 1;
  }
  return scenarios ? out : null;
}

/** The CP@100 a perfect ranker of the signal frauds would reach on these rows (null without scenarios). */
export function cpAt100Ceiling(data: Dataset, rows: ArrayLike<number>): number | null {
  const signal = signalFrauds(data, rows);
  if (!signal) return null;
  return cardPrecisionCeiling(
    {
      day: Array.from(rows, (i) => data.table.timeDays[i]),
      customer: Array.from(rows, (i) => data.table.customer[i]),
      signal,
    },
    100,
  );
}
