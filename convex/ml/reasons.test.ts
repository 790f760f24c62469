import { expect, test } from "vitest";
import { FEATURE_NAMES } from "./features";
import { describeFeature, topReasons } from "./reasons";

const ctx = { amount: 120, currency: "EUR" };

test("every feature has a sentence of its own, not the raw feature name", () => {
  for (const feature of FEATURE_NAMES) {
    for (const value of [0, 1, 2.5]) {
      const text = describeFeature(feature, value, ctx);
      expect(text, feature).not.toMatch(/_|window is|\bid\b/i);
    }
  }
});

test("terminal sentences name the right span", () => {
  expect(describeFeature("TERMINAL_ID_NB_FRAUD_DAYS_22_TO_30_OF_30DAY_WINDOW", 3, ctx)).toBe(
    "the terminal had 3 confirmed frauds between 28 and 37 days ago",
  );
  expect(describeFeature("TERMINAL_ID_NB_FRAUD_30DAY_WINDOW", 1, ctx)).toBe(
    "the terminal had 1 confirmed fraud between 7 and 37 days ago",
  );
  expect(describeFeature("TERMINAL_ID_FRAUD_AVG_AMOUNT_7DAY_WINDOW", 52.5, ctx)).toBe(
    "the terminal's confirmed frauds between 7 and 14 days ago averaged 52.50 EUR",
  );
  expect(describeFeature("TERMINAL_ID_FRAUD_AVG_AMOUNT_30DAY_WINDOW", 0, ctx)).toBe(
    "the terminal had no confirmed fraud between 7 and 37 days ago",
  );
});

test("the same fact from two features is one reason; strongest first", () => {
  const reasons = topReasons(
    [
      { feature: "TX_AMOUNT", value: 120, contribution: 0.5 },
      { feature: "TX_AMOUNT_LOG", value: Math.log1p(120), contribution: 0.75 },
      { feature: "TERMINAL_ID_NB_FRAUD_7DAY_WINDOW", value: 2, contribution: -1.5 },
      { feature: "TX_DURING_NIGHT", value: 1, contribution: 0.1 },
      { feature: "TX_DURING_WEEKEND", value: 0, contribution: 0.05 },
    ],
    ctx,
  );
  expect(reasons.map((r) => [r.feature, r.contribution])).toEqual([
    ["TERMINAL_ID_NB_FRAUD_7DAY_WINDOW", -1.5],
    ["TX_AMOUNT_LOG", 1.25],
    ["TX_DURING_NIGHT", 0.1],
  ]);
  expect(reasons[1].text).toBe("the amount is 120.00 EUR");
});
