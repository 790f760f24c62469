import { expect, test } from "vitest";
import { api } from "../_generated/api";
import type { Id } from "../_generated/dataModel";
import type { Decision } from "../ml/decision";
import { randomPaymentId } from "../model/payments/ids";
import type { StoredFraudResult } from "../model/payments/validators";
import {
  call,
  runScheduled,
  setupBackend,
  stepScheduled,
  storedFraud,
  type Backend,
} from "../test.setup";

const DAY = 86_400_000;
const START = Date.UTC(2024, 3, 1);
const FEATURE = "TERMINAL_ID_RISK_7DAY_WINDOW";

/** A deterministic pseudo-random sequence (LCG), so the fixture is the same on every run. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

type Seeded = {
  paymentId: string;
  timestamp: number;
  label: "fraud" | "legitimate" | undefined;
  fraud: StoredFraudResult;
};

/**
 * Stores `count` scored payments over 30 days, as the scorer would have: features, a stored
 * decision, for some the active rules that matched then; a few legacy ones without features.
 */
async function seed(t: Backend, count: number): Promise<Seeded[]> {
  const next = random(7);
  const decisions: Decision[] = ["allow", "review", "block"];
  const userId: Id<"users"> = await t.run((ctx) =>
    ctx.db.insert("users", { name: "Seed", email: "seed@example.com", createdAt: 0 }),
  );
  const ruleId: Id<"rules"> = await t.run((ctx) =>
    ctx.db.insert("rules", {
      name: "vips",
      expression: "true",
      action: "allow",
      mode: "disabled",
      version: 1,
      listNames: [],
      createdAt: 0,
      updatedAt: 0,
    }),
  );
  const seeded: Seeded[] = [];
  for (let i = 0; i < count; i++) {
    const r = next();
    const modelDecision = decisions[Math.floor(next() * 3)];
    const ruleAllowed = next() < 0.1;
    const legacy = next() < 0.03;
    const fraud = storedFraud({
      decision: ruleAllowed ? "allow" : modelDecision,
      ...(legacy ? {} : { modelDecision, features: { [FEATURE]: Math.round(r * 100) / 100 } }),
      ...(ruleAllowed
        ? {
            decisionSource: "rule" as const,
            rules: {
              matched: [{ id: ruleId, name: "vips", action: "allow" as const }],
              shadowMatched: [],
              errors: [],
              version: 3,
            },
          }
        : {}),
    });
    const labelDraw = next();
    seeded.push({
      paymentId: randomPaymentId(),
      // Two days on either side fall outside the window tested below.
      timestamp: START + Math.floor(next() * 30 * DAY),
      label: labelDraw < 0.3 ? "fraud" : labelDraw < 0.7 ? "legitimate" : undefined,
      fraud,
    });
  }
  await t.run(async (ctx) => {
    for (const s of seeded) {
      await ctx.db.insert("transactions", {
        userId,
        amount: 10,
        currency: "USD",
        terminalId: "T1",
        timestamp: s.timestamp,
        paymentId: s.paymentId,
        receivedAt: s.timestamp,
        ...(s.label ? { label: s.label } : {}),
        status: "scored",
        fraud: s.fraud,
      });
    }
  });
  return seeded;
}

/** The same counts computed offline, directly on the stored payments. */
function offline(payments: Seeded[], from: number, to: number) {
  const strength = { allow: 3, block: 2, review: 1 };
  const inWindow = payments.filter((p) => p.timestamp >= from && p.timestamp < to);
  const matched = inWindow.filter((p) => (p.fraud.features[FEATURE] ?? -1) > 0.5);
  const decisionChanges: Record<string, number> = {};
  for (const p of matched) {
    const actions = [...(p.fraud.rules?.matched ?? []).map((r) => r.action), "block" as const];
    const decided = actions.reduce((a, b) => (strength[b] > strength[a] ? b : a));
    if (decided !== p.fraud.decision) {
      const key = `${p.fraud.decision}->${decided}`;
      decisionChanges[key] = (decisionChanges[key] ?? 0) + 1;
    }
  }
  const count = (list: Seeded[], label: Seeded["label"]) =>
    list.filter((p) => p.label === label).length;
  const fraud = count(matched, "fraud");
  const legitimate = count(matched, "legitimate");
  return {
    scanned: inWindow.length,
    matched: matched.length,
    matchedByLabel: { fraud, legitimate, unlabeled: count(matched, undefined) },
    labelledFraud: count(inWindow, "fraud"),
    decisionChanges,
    errors: inWindow.filter((p) => !(FEATURE in p.fraud.features)).length,
    precision: fraud / (fraud + legitimate),
    recall: fraud / count(inWindow, "fraud"),
  };
}

test("a backtest's counts equal the same computation done offline on the same payments", async () => {
  const t = setupBackend();
  const payments = await seed(t, 1100);
  const from = START + 2 * DAY;
  const to = START + 28 * DAY;
  const started = await call(t, "POST", "/rules/backtests", {
    body: { expression: `features.${FEATURE} > 0.5`, action: "block", from, to },
  });
  expect(started.status).toBe(202);
  expect(started.body.backtest).toMatchObject({
    status: "running",
    progress: { scanned: 0, fraction: 0 },
    result: null,
  });
  const id = started.body.backtest.id;
  expect(started.headers.get("location")).toBe(`/api/v1/rules/backtests/${id}`);

  // One step: one page of 500 payments, progress by time through the window.
  await stepScheduled(t);
  const running = (await call(t, "GET", `/rules/backtests/${id}`)).body.backtest;
  expect(running.status).toBe("running");
  expect(running.progress.scanned).toBe(500);
  expect(running.progress.fraction).toBeGreaterThan(0);
  expect(running.progress.fraction).toBeLessThan(1);

  await runScheduled(t);
  const done = (await call(t, "GET", `/rules/backtests/${id}`)).body.backtest;
  expect(done.status).toBe("done");
  expect(done.progress).toEqual({ scanned: done.result.scanned, fraction: 1 });
  const expected = offline(payments, from, to);
  expect(expected.scanned).toBeGreaterThan(900);
  expect(expected.scanned).toBeLessThan(1100);
  const { sampleIds, ...counts } = done.result;
  expect(counts).toEqual(expected);
  expect(Object.keys(expected.decisionChanges).length).toBeGreaterThan(1);
  expect(sampleIds).toHaveLength(20);
  const matchedIds = new Set(
    payments
      .filter((p) => p.timestamp >= from && p.timestamp < to)
      .filter((p) => (p.fraud.features[FEATURE] ?? -1) > 0.5)
      .map((p) => p.paymentId),
  );
  for (const sample of sampleIds) expect(matchedIds.has(sample)).toBe(true);
});

test("a backtest is checked like a rule, over a window of at most 400 days", async () => {
  const t = setupBackend();
  const body = {
    expression: "payment.amount > 10",
    action: "review",
    from: START,
    to: START + DAY,
  };
  const bad = await call(t, "POST", "/rules/backtests", {
    body: { ...body, expression: "payment.nope > 1" },
  });
  expect(bad.status).toBe(422);
  expect(bad.body.error.code).toBe("invalid_expression");
  for (const window of [{ to: START + 401 * DAY }, { to: START }, { to: START - 1 }]) {
    const res = await call(t, "POST", "/rules/backtests", { body: { ...body, ...window } });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("validation_failed");
  }
  const longest = await call(t, "POST", "/rules/backtests", {
    body: { ...body, to: START + 400 * DAY },
  });
  expect(longest.status).toBe(202);
  await runScheduled(t);
  const empty = (await call(t, "GET", `/rules/backtests/${longest.body.backtest.id}`)).body;
  expect(empty.backtest.result).toMatchObject({
    scanned: 0,
    matched: 0,
    precision: null,
    recall: null,
  });
  expect((await call(t, "GET", "/rules/backtests/nope")).status).toBe(404);

  // The same backtest as a reactive query, for analysts only.
  const id = longest.body.backtest.id as Id<"backtests">;
  const issuer = "https://auth.example.com";
  const asAnalyst = t.withIdentity({ issuer, subject: "eve", role: "analyst" });
  expect(await asAnalyst.query(api.backtests.get, { id })).toEqual(empty.backtest);
  const asCustomer = t.withIdentity({ issuer, subject: "ada" });
  await expect(asCustomer.query(api.backtests.get, { id })).rejects.toThrow(/analysts/);
});
