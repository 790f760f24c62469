/**
 * The handbook's threshold-free and top-k metrics (chapter 4), as scikit-learn and the handbook's
 * `card_precision_top_k` compute them.
 */

/** Indexes sorted by decreasing score (ties by index, which does not affect the tie-aware metrics). */
function byDecreasingScore(scores: ArrayLike<number>): Int32Array {
  const idx = new Int32Array(scores.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  idx.sort((a, b) => scores[b] - scores[a] || a - b);
  return idx;
}

/** Area under the ROC curve (`sklearn.metrics.roc_auc_score`): trapezoids over distinct thresholds. */
export function aucRoc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = byDecreasingScore(scores);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i] ? 1 : 0;
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  let tp = 0;
  let fp = 0;
  let prevTp = 0;
  let prevFp = 0;
  let area = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (labels[i]) tp++;
    else fp++;
    const last = k + 1 === idx.length || scores[idx[k + 1]] !== scores[i];
    if (last) {
      area += ((fp - prevFp) * (tp + prevTp)) / 2;
      prevTp = tp;
      prevFp = fp;
    }
  }
  return area / (pos * neg);
}

/**
 * Average precision (`sklearn.metrics.average_precision_score`): `sum_n (R_n - R_{n-1}) P_n` over
 * distinct score thresholds, from the highest score down (no interpolation).
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = byDecreasingScore(scores);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i] ? 1 : 0;
  if (pos === 0) return NaN;
  let tp = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (labels[i]) tp++;
    const last = k + 1 === idx.length || scores[idx[k + 1]] !== scores[i];
    if (last) {
      const recall = tp / pos;
      ap += (recall - prevRecall) * (tp / (k + 1));
      prevRecall = recall;
    }
  }
  return ap;
}

export interface CardPrecisionInput {
  day: ArrayLike<number>;
  customer: ArrayLike<number>;
  score: ArrayLike<number>;
  fraud: ArrayLike<number>;
}

export interface CardPrecisionResult {
  /** Mean over days of the daily card precision top-k. */
  mean: number;
  perDay: { day: number; precision: number; compromisedCards: number }[];
}

/**
 * Card precision top-k (handbook `card_precision_top_k`): for each day (ascending), drop the cards
 * already detected on earlier days, take each card's highest score and whether any of its
 * transactions that day is fraud, rank cards by score (ties: lower customer index first), and count
 * the compromised cards among the top k, divided by k. The result is the mean over days.
 */
export function cardPrecisionTopK(input: CardPrecisionInput, k: number): CardPrecisionResult {
  const days = [...new Set(Array.from(input.day))].sort((a, b) => a - b);
  const rowsByDay = new Map<number, number[]>();
  for (let i = 0; i < input.day.length; i++) {
    const d = input.day[i];
    let list = rowsByDay.get(d);
    if (!list) rowsByDay.set(d, (list = []));
    list.push(i);
  }
  const detected = new Set<number>();
  const perDay: CardPrecisionResult["perDay"] = [];
  for (const day of days) {
    const cards = new Map<number, { score: number; fraud: number }>();
    for (const i of rowsByDay.get(day) ?? []) {
      const c = input.customer[i];
      if (detected.has(c)) continue;
      const cur = cards.get(c);
      const f = input.fraud[i] ? 1 : 0;
      if (!cur) cards.set(c, { score: input.score[i], fraud: f });
      else {
        cur.score = Math.max(cur.score, input.score[i]);
        cur.fraud = Math.max(cur.fraud, f);
      }
    }
    const ranked = [...cards.entries()].sort((a, b) => b[1].score - a[1].score || a[0] - b[0]);
    const top = ranked.slice(0, k);
    let hits = 0;
    for (const [c, v] of top) {
      if (v.fraud) {
        hits++;
        detected.add(c);
      }
    }
    let compromised = 0;
    for (const v of cards.values()) compromised += v.fraud;
    perDay.push({ day, precision: hits / k, compromisedCards: compromised });
  }
  const mean = perDay.length ? perDay.reduce((s, d) => s + d.precision, 0) / perDay.length : NaN;
  return { mean, perDay };
}

export interface CardCeilingInput {
  day: ArrayLike<number>;
  customer: ArrayLike<number>;
  /** 1 for a fraud a model could recognise from what it is allowed to know, else 0. */
  signal: ArrayLike<number>;
}

/**
 * The card precision top-k a perfect ranker reaches when only the `signal` frauds can be told
 * apart from legitimate payments: for each day (ascending), the cards with a signal fraud that day
 * that were not already found on an earlier day, at most k of them, divided by k; the mean over
 * days. A perfect ranker puts those cards first and finds each on its first day, and
 * {@link cardPrecisionTopK} then drops it from later days. Exact while no day has more than k
 * signal cards (otherwise, which k to find first matters, and this is a lower bound). A real
 * ranker can exceed it by chance: the remaining top-k places may catch cards without signal.
 */
export function cardPrecisionCeiling(input: CardCeilingInput, k: number): number {
  const perDay = new Map<number, Set<number>>();
  for (let i = 0; i < input.day.length; i++) {
    const d = input.day[i];
    let cards = perDay.get(d);
    if (!cards) perDay.set(d, (cards = new Set()));
    if (input.signal[i]) cards.add(input.customer[i]);
  }
  const found = new Set<number>();
  let sum = 0;
  const days = [...perDay.keys()].sort((a, b) => a - b);
  for (const day of days) {
    const fresh = [...(perDay.get(day) ?? [])].filter((c) => !found.has(c)).slice(0, k);
    for (const c of fresh) found.add(c);
    sum += fresh.length / k;
  }
  return days.length ? sum / days.length : NaN;
}
