import { expect, test } from "vitest";
import { checkExpression, ExpressionError } from "./check";
import { bindingsOf, compileExpression, runExpression, type RuleInput } from "./evaluate";

const LISTS = new Set(["vip", "compromised_terminals"]);

const input: RuleInput = {
  payment: {
    amount: 1500,
    currency: "USD",
    timestamp: Date.UTC(2024, 0, 1),
    userId: "u1",
    terminalId: "T9",
    productCategory: "electronics",
    metadata: { channel: "web", attempt: 2, vip: true, note: null },
  },
  user: { id: "u1", email: "a@x.com", createdAt: Date.UTC(2023, 0, 1) },
  features: { TERMINAL_ID_RISK_7DAY_WINDOW: 0.75, TX_AMOUNT: 1500 },
  score: 12,
  probability: 0.12,
};

async function evaluate(text: string, listed: Record<string, string[]> = {}) {
  checkExpression(text, LISTS);
  return await runExpression(compileExpression(text), bindingsOf(input), (list, value) =>
    Promise.resolve((listed[list] ?? []).includes(value)),
  );
}

test.each([
  ["payment.amount > 1000", "match"],
  ["payment.amount > 1000.0", "match"],
  ["payment.amount == 1500", "match"],
  ["payment.amount == 1500.0", "match"],
  ["payment.amount * 2 >= 3000", "match"],
  ["payment.amount + 1 > 1500", "match"],
  ["payment.amount > -5 && score < 50", "match"],
  ["payment.amount in [1500, 2000]", "match"],
  ["payment.amount > 2000", "miss"],
  ["features.TERMINAL_ID_RISK_7DAY_WINDOW > 0.5", "match"],
  ["payment.currency == 'USD' && payment.terminalId.startsWith('T')", "match"],
  ["payment.metadata.channel == 'web'", "match"],
  ["payment.metadata.attempt > 1", "match"],
  ["payment.metadata.vip", "match"],
  ["has(payment.metadata.missing)", "miss"],
  ["payment.metadata.missing == 'x'", "error"],
  ["payment.metadata.missing == 'x' || payment.amount > 1000", "match"],
  ["has(user.externalId) && user.externalId == 'x'", "miss"],
  ["user.externalId == 'x'", "error"],
  ["size(payment.terminalId) == 2", "match"],
  ["[1, 2, 3].exists(x, x > 2)", "match"],
  ["['a', 'b'].all(x, x.size() == 1)", "match"],
  ["payment.userId in lists.vip", "match"],
  ["!(payment.terminalId in lists.compromised_terminals)", "match"],
  ["payment.metadata.missing in lists.vip || true", "match"],
  ["payment.metadata.attempt in lists.vip", "miss"],
  ["probability < 0.5 ? score < 50 : false", "match"],
  ["payment.timestamp >= 1704067200000", "match"],
  ["int(payment.amount) % 7 == 2", "match"],
])("%s → %s", async (text, expected) => {
  expect((await evaluate(text, { vip: ["u1"] })).kind).toBe(expected);
});

const malformed: [string, string | RegExp][] = [
  ["payment.amount >", "syntax error"],
  ["payment.amount > 1000 &&", "syntax error"],
  ["(payment.amount > 1", "syntax error"],
  ["payment..amount", "syntax error"],
  ["'unterminated", "syntax error"],
  ["payment.amout > 10", "undefined field 'amout'"],
  ["payments.amount > 10", "undeclared reference to 'payments'"],
  ["features.NOT_A_FEATURE > 0.5", "undefined field 'NOT_A_FEATURE'"],
  ["user.phone == '1'", "undefined field 'phone'"],
  ["payment.userId in lists.unknown_list", "unknown list 'unknown_list'"],
  ["size(lists.vip) > 0", "lists can only be used"],
  ["lists == 1", "lists can only be used"],
  ["payment.amount > 'a'", "no matching overload"],
  ["payment.currency > 1", "no matching overload"],
  ["payment.amount + 'x' > 1", "no matching overload"],
  ["!payment.amount", "no matching overload"],
  ["payment.amount && true", "no matching overload"],
  ["payment.amount in lists.vip", "list items are strings"],
  ["payment.amount", "must give a bool, not double"],
  ["payment.terminalId", "must give a bool, not string"],
  ["score + 1", "must give a bool"],
  ["payment.terminalId.contains(1)", "no matching overload"],
  ["frobnicate(payment.amount)", "undeclared reference to function 'frobnicate'"],
  ["payment.amount.startsWith('1')", "no matching overload"],
  ["['a'].exists(x, x in lists.vip)", "inside a macro"],
  ["size(payment.amount) > 1", "no matching overload for 'size'"],
  ["true ? 1 : 'a'", "no matching overload"],
  ["duration('1s') == duration('1s')", "undeclared reference to function 'duration'"],
];

test.each(malformed)("%s is refused: %s", (text, message) => {
  let error: unknown = null;
  try {
    checkExpression(text, LISTS);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ExpressionError);
  expect((error as ExpressionError).message).toMatch(message);
  const { offset, line, column } = (error as ExpressionError).position;
  expect(offset).toBeGreaterThanOrEqual(0);
  expect(offset).toBeLessThanOrEqual(text.length);
  expect(line).toBe(1);
  expect(column).toBe(offset + 1);
});

test("the position names the offending sub-expression, on its line", () => {
  try {
    checkExpression("payment.amount > 10 &&\n  payment.nope == 1", LISTS);
    expect.unreachable();
  } catch (e) {
    expect((e as ExpressionError).position).toEqual({ offset: 32, line: 2, column: 10 });
  }
});

test("the lists an expression references are reported once each", () => {
  const checked = checkExpression(
    "payment.userId in lists.vip || user.id in lists.vip || payment.terminalId in lists.compromised_terminals",
    LISTS,
  );
  expect(checked.listNames.sort()).toEqual(["compromised_terminals", "vip"]);
  expect(checked.memberships).toHaveLength(3);
});
