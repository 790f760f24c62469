import { isCelError, run } from "@bufbuild/cel";
import fc from "fast-check";
import { expect, test } from "vitest";
import { bindingsOf, compileExpression, runExpression, type RuleInput } from "./evaluate";

const input: RuleInput = {
  payment: {
    amount: 150,
    currency: "USD",
    timestamp: 0,
    userId: "u1",
    terminalId: "T9",
    metadata: { channel: "web" },
  },
  user: null,
  features: {},
  score: 40,
  probability: 0.4,
};
const LISTS: Record<string, string[]> = { vip: ["u1"], bad_terminals: ["T1", "T2"] };

/** Atoms: plain conditions, list lookups, and one that fails at run time. */
const atom = fc.constantFrom(
  "payment.amount > 100",
  "payment.amount > 1000",
  "payment.userId in lists.vip",
  "payment.terminalId in lists.bad_terminals",
  "payment.metadata.missing == 'x'",
  "has(payment.metadata.channel)",
  "score < 50.0",
);

const { expression } = fc.letrec<{ expression: string }>((tie) => ({
  expression: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    atom,
    fc.tuple(tie("expression"), tie("expression")).map(([a, b]) => `(${a} && ${b})`),
    fc.tuple(tie("expression"), tie("expression")).map(([a, b]) => `(${a} || ${b})`),
    tie("expression").map((a) => `!(${a})`),
    fc
      .tuple(tie("expression"), tie("expression"), tie("expression"))
      .map(([a, b, c]) => `(${a} ? ${b} : ${c})`),
  ),
}));

/** The oracle: plain CEL, with each list written out as a list literal. */
function oracle(text: string): "match" | "miss" | "error" {
  const inlined = text.replace(
    /lists\.(\w+)/g,
    (_, name: string) => `[${LISTS[name].map((v) => `'${v}'`).join(", ")}]`,
  );
  const result = run(inlined, bindingsOf(input) as never);
  if (isCelError(result)) return "error";
  return result === true ? "match" : "miss";
}

test("lookups only when needed, and the same answer as CEL with the lists written out", async () => {
  await fc.assert(
    fc.asyncProperty(expression, async (text) => {
      const result = await runExpression(compileExpression(text), bindingsOf(input), (l, v) =>
        Promise.resolve(LISTS[l].includes(v)),
      );
      expect(result.kind).toBe(oracle(text));
    }),
    { numRuns: 300 },
  );
});

test("a lookup the other operand makes moot is not made", async () => {
  const lookups: string[] = [];
  const lookup = (list: string, value: string) => {
    lookups.push(`${list}:${value}`);
    return Promise.resolve(LISTS[list].includes(value));
  };
  const bindings = bindingsOf(input);
  const ask = async (text: string) =>
    (await runExpression(compileExpression(text), bindings, lookup)).kind;
  expect(await ask("payment.amount > 1000 && payment.userId in lists.vip")).toBe("miss");
  expect(await ask("payment.amount > 100 || payment.userId in lists.vip")).toBe("match");
  expect(lookups).toEqual([]);
  expect(await ask("payment.amount > 100 && payment.userId in lists.vip")).toBe("match");
  expect(await ask("!(payment.terminalId in lists.bad_terminals)")).toBe("match");
  expect(lookups).toEqual(["vip:u1", "bad_terminals:T9"]);
});
