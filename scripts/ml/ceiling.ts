/**
 * How much of CP@100 the handbook protocol leaves within reach, on data that records each
 * fraud's scenario (the simulator's `TX_FRAUD_SCENARIO`).
 *
 * A compromised terminal (scenario 2) takes ordinary payments from ordinary customers: nothing
 * about them differs from legitimate ones except the terminal's fraud labels, and those arrive
 * 7 days late. Until a first fraud of that terminal is known (none in its delayed 30-day window,
 * i.e. during about the first 7 days of the compromise), its frauds are indistinguishable from
 * legitimate payments for any model that respects the delay. Every other fraud carries some
 * signal: an outsized amount, a customer's unusual amount, or a terminal with known frauds.
 * (Scenario 2 takes precedence over scenario 1 in the simulator, so a payment over 220 at such a
 * terminal counts as without signal although its amount gives it away: 4 rows of the default
 * dataset, none in the weeks that `npm run validate` and `npm run evaluate` measure.)
 */
import { FEATURE_COUNT, FEATURE_NAMES } from "../../convex/ml/features";
import { cardPrecisionCeiling } from "./metrics";
import type { Dataset } from "./pipeline";

const KNOWN_TERMINAL_FRAUDS = FEATURE_NAMES.indexOf("TERMINAL_ID_NB_FRAUD_30DAY_WINDOW");

/**
 * Per row: 1 for a fraud that carries signal under the label delay, 0 for a legitimate payment
 * or a fraud of a not-yet-known compromised terminal; null when the data records no scenarios.
 */
export function signalFrauds(data: Dataset, rows: ArrayLike<number>): Uint8Array | null {
  const t = data.table;
  if (!t.scenario.some((s) => s !== 0)) return null;
  const out = new Uint8Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    if (!t.fraud[i]) continue;
    const unseenTerminal =
      t.scenario[i] === 2 && data.features[i * FEATURE_COUNT + KNOWN_TERMINAL_FRAUDS] === 0;
    out[k] = unseenTerminal ? 0 : 1;
  }
  return out;
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
