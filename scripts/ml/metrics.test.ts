import { describe, expect, test } from "vitest";
import { aucRoc, averagePrecision, cardPrecisionCeiling, cardPrecisionTopK } from "./metrics";

describe("AUC ROC", () => {
  test("hand-computed, without and with ties", () => {
    // Positives at 0.9, 0.7, 0.5; negatives at 0.8, 0.6: 3 of 6 pairs ordered.
    expect(aucRoc([0.9, 0.8, 0.7, 0.6, 0.5], [1, 0, 1, 0, 1])).toBeCloseTo(0.5, 12);
    // Tie between a positive and a negative counts one half: (0.5 + 1 + 0 + 1) / 4.
    expect(aucRoc([0.9, 0.9, 0.5, 0.1], [1, 0, 1, 0])).toBeCloseTo(0.625, 12);
    expect(aucRoc([0.1, 0.2], [0, 1])).toBe(1);
  });
});

describe("average precision (scikit-learn's definition)", () => {
  test("hand-computed: mean of the precisions at each positive", () => {
    expect(averagePrecision([0.9, 0.8, 0.7, 0.6, 0.5], [1, 0, 1, 0, 1])).toBeCloseTo(
      (1 + 2 / 3 + 3 / 5) / 3,
      12,
    );
  });
  test("tied scores form one threshold (no interpolation)", () => {
    // Threshold 0.9: P = 1/2, R = 1/2; threshold 0.5: P = 2/3, R = 1.
    expect(averagePrecision([0.9, 0.9, 0.5, 0.1], [1, 0, 1, 0])).toBeCloseTo(
      0.5 * 0.5 + 0.5 * (2 / 3),
      12,
    );
  });
  test("perfect and no positives", () => {
    expect(averagePrecision([0.3, 0.2, 0.1], [1, 1, 0])).toBe(1);
    expect(averagePrecision([0.3, 0.2], [0, 0])).toBeNaN();
  });
});

describe("card precision top-k", () => {
  // Day 0: A(0) max 0.9 and a fraud, B(1) 0.8 legit, C(2) 0.7 fraud -> top 2 = A, B -> 1/2; A detected.
  // Day 1: A 0.95 legit (dropped: detected on day 0), B 0.6 fraud, C 0.5 legit, D(3) 0.55 fraud
  //        -> top 2 = B, D -> 2/2. Mean 0.75 (0.5 if A were not dropped).
  const input = {
    day: [0, 0, 0, 0, 1, 1, 1, 1],
    customer: [0, 0, 1, 2, 0, 1, 2, 3],
    score: [0.9, 0.2, 0.8, 0.7, 0.95, 0.6, 0.5, 0.55],
    fraud: [0, 1, 0, 1, 0, 1, 0, 1],
  };
  test("hand-computed: card max score, any fraud, detected cards dropped on later days", () => {
    const r = cardPrecisionTopK(input, 2);
    expect(r.perDay.map((d) => d.precision)).toEqual([0.5, 1]);
    expect(r.perDay.map((d) => d.compromisedCards)).toEqual([2, 2]);
    expect(r.mean).toBeCloseTo(0.75, 12);
  });
  test("k larger than the cards of a day divides by k", () => {
    expect(cardPrecisionTopK(input, 100).perDay[0].precision).toBeCloseTo(2 / 100, 12);
  });
});

describe("card precision ceiling", () => {
  test("hand-computed: signal cards per day, at most k, each counted on its first day only", () => {
    // Day 0: cards 0, 1, 2 carry signal -> min(3, 2) / 2 = 1 (cards 0 and 1 found; 2 is not).
    // Day 1: card 0 again (already found), card 2 (not found yet), card 3 without signal -> 1 / 2.
    // Day 2: nothing with signal -> 0. Mean (1 + 0.5 + 0) / 3 = 0.5.
    const input = {
      day: [0, 0, 0, 0, 1, 1, 1, 2],
      customer: [0, 1, 1, 2, 0, 2, 3, 4],
      signal: [1, 1, 0, 1, 1, 1, 0, 0],
    };
    expect(cardPrecisionCeiling(input, 2)).toBeCloseTo(0.5, 12);
    // With room for every card: day 0 -> 3/100, day 1 -> 0 (all found), day 2 -> 0.
    expect(cardPrecisionCeiling(input, 100)).toBeCloseTo(3 / 100 / 3, 12);
  });
  test("a perfect ranker of the signal cards reaches it exactly", () => {
    const input = {
      day: [0, 0, 0, 1, 1, 1],
      customer: [0, 1, 2, 0, 1, 3],
      signal: [1, 0, 1, 0, 1, 1],
    };
    const perfect = cardPrecisionTopK({ ...input, score: input.signal, fraud: input.signal }, 2);
    expect(cardPrecisionCeiling(input, 2)).toBeCloseTo(perfect.mean, 12);
  });
});
