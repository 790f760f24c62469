import { expect, test } from "vitest";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { call, createUser, runScheduled, setupBackend, storedFraud } from "./test.setup";

const legacyFraud = storedFraud({
  score: 91,
  probability: 0.91,
  level: "high",
  decision: "block",
  explanation: "Blocked.",
  explanationSource: "template",
});

test("runAll removes the fields older code stored, in batches, and the API answers the same", async () => {
  const t = setupBackend();
  const userId = (await createUser(t)) as Id<"users">;
  // Payments as the code before the pools wrote them: retry fields, a stored level.
  await t.run(async (ctx) => {
    for (let i = 0; i < 450; i++) {
      const common = {
        paymentId: `pay_${String(i).padStart(20, "0")}`,
        userId,
        amount: 10,
        currency: "USD",
        terminalId: "T1",
        timestamp: 1_530_000_000_000 + i,
        receivedAt: 1_530_000_000_000 + i,
      };
      if (i % 3 === 0) {
        await ctx.db.insert("tempTransactions", {
          ...common,
          status: "failed",
          attempts: 3,
          retryAt: 0,
          error: { code: "scoring_timeout", message: "lost" },
        });
      } else {
        await ctx.db.insert("transactions", { ...common, status: "scored", fraud: legacyFraud });
      }
    }
  });
  const before = await call(t, "GET", "/transactions/pay_00000000000000000001");
  expect(before.body.transaction.fraud.level).toBe("high");

  await t.mutation(internal.migrations.runAll, {});
  await runScheduled(t);

  const after = await t.run(async (ctx) => ({
    staged: await ctx.db.query("tempTransactions").take(1_000),
    scored: await ctx.db.query("transactions").take(1_000),
  }));
  expect(after.staged).toHaveLength(150);
  expect(after.scored).toHaveLength(300);
  expect(after.staged.every((p) => p.attempts === undefined && p.retryAt === undefined)).toBe(true);
  expect(after.scored.every((p) => p.fraud.level === undefined)).toBe(true);
  // The API derives the level from the decision: the answer is unchanged.
  expect((await call(t, "GET", "/transactions/pay_00000000000000000001")).body).toEqual(
    before.body,
  );
});
