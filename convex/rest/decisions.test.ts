import { expect, test } from "vitest";
import {
  call,
  createUser,
  postPayment,
  runScheduled,
  setupBackend,
  type Backend,
} from "../test.setup";

async function create(t: Backend, path: string, body: Record<string, unknown>) {
  const res = await call(t, "POST", path, { body });
  expect(res.status, JSON.stringify(res.body)).toBe(path.endsWith("/items") ? 200 : 201);
  return res.body;
}

const fraudOf = async (t: Backend, id: string) =>
  (await call(t, "GET", `/transactions/${id}`)).body.transaction.fraud;

test("rules decide with allow > block > review; shadow rules are recorded, disabled ones skipped", async () => {
  const t = setupBackend();
  const vipUser = await createUser(t);
  const plainUser = await createUser(t);
  const lapsedUser = await createUser(t);
  const vip = (await create(t, "/lists", { name: "vip" })).list;
  await create(t, `/lists/${vip.id}/items`, {
    items: [{ value: vipUser }, { value: lapsedUser, expiresAt: Date.now() - 1 }],
  });
  const rule = async (body: Record<string, unknown>) => (await create(t, "/rules", body)).rule;
  // The model blocks amounts above a few hundred (the simulator's fraud scenario), so the block
  // rule's threshold sits below that, where the model allows.
  const large = await rule({
    name: "large_amounts",
    expression: "payment.amount > 100",
    action: "block",
  });
  const vips = await rule({
    name: "vips",
    expression: "payment.userId in lists.vip",
    action: "allow",
  });
  const small = await rule({
    name: "small_amounts",
    expression: "payment.amount < 100.0",
    action: "review",
    mode: "shadow",
  });
  await rule({ name: "everything", expression: "true", action: "block", mode: "disabled" });
  const web = await rule({
    name: "web_channel",
    expression: "payment.metadata.channel == 'web'",
    action: "review",
  });

  const post = async (userId: string, amount: number, extra: Record<string, unknown> = {}) =>
    (await postPayment(t, { userId, amount, ...extra })).body.transaction.id as string;
  const blocked = await post(plainUser, 150);
  const allowed = await post(vipUser, 1500);
  const lapsed = await post(lapsedUser, 150);
  const modelOnly = await post(plainUser, 50, { metadata: { channel: "pos" } });
  await runScheduled(t);
  const ref = (r: { id: string; name: string; action: string }) => ({
    id: r.id,
    name: r.name,
    action: r.action,
  });

  // The block rule blocks a payment the model allows.
  const b = await fraudOf(t, blocked);
  expect(b.modelDecision).toBe("allow");
  expect(b).toMatchObject({ decision: "block", level: "high", decisionSource: "rule" });
  expect(b.rules).toEqual({
    matched: [ref(large)],
    shadowMatched: [],
    errors: [{ id: web.id, name: "web_channel", message: "field not found: metadata" }],
    version: 5,
  });
  expect(b.reasons[0]).toEqual({
    feature: "rule:large_amounts",
    value: 1,
    contribution: 0,
    text: "blocked by the rule *large_amounts*: payment.amount > 100",
  });
  expect(b.reasons.length).toBeGreaterThan(1);
  expect(b.explanation).toBe(
    `This payment of 150.00 USD was blocked by the rule *large_amounts*: payment.amount > 100; its fraud risk score is ${b.score}/100. ${b.explanation.split("/100. ")[1]}`,
  );
  expect(b.explanation).toMatch(/Risk went (up|down) because/);
  expect(b.score).toBe(Math.round(b.probability * 100));

  // The allow rule on the list lets through what the block rule and the model would block.
  const a = await fraudOf(t, allowed);
  expect(a).toMatchObject({ decision: "allow", modelDecision: "block", decisionSource: "rule" });
  expect(a.rules.matched).toEqual([ref(large), ref(vips)]);
  expect(a.reasons[0].feature).toBe("rule:vips");
  expect(a.explanation).toContain("allowed by the rule *vips*: payment.userId in lists.vip");

  // An expired item does not match.
  const l = await fraudOf(t, lapsed);
  expect(l).toMatchObject({ decision: "block", decisionSource: "rule" });
  expect(l.rules.matched).toEqual([ref(large)]);

  // A shadow rule is recorded and changes nothing; the disabled rule is never evaluated.
  const m = await fraudOf(t, modelOnly);
  expect(m.decisionSource).toBe("model");
  expect(m.decision).toBe(m.modelDecision);
  expect(m.rules).toEqual({ matched: [], shadowMatched: [ref(small)], errors: [], version: 5 });
  expect(m.reasons.every((r: { feature: string }) => !r.feature.startsWith("rule:"))).toBe(true);
  expect(m.explanation).not.toContain("rule");
});

test("a rule change applies to payments scored after it commits", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const first = (await postPayment(t, { userId, amount: 1500 })).body.transaction.id;
  await runScheduled(t);
  const before = await fraudOf(t, first);
  expect(before.rules).toEqual({ matched: [], shadowMatched: [], errors: [], version: 0 });
  expect(before.decisionSource).toBe("model");

  const rule = (
    await create(t, "/rules", {
      name: "large_amounts",
      expression: "payment.amount >= 1500.0",
      action: "review",
    })
  ).rule;
  const byEmail = (
    await create(t, "/rules", {
      name: "our_customers",
      expression: "user.email.endsWith('@example.com') && user.createdAt > 0",
      action: "block",
      mode: "shadow",
    })
  ).rule;
  const second = (await postPayment(t, { userId, amount: 1500 })).body.transaction.id;
  await runScheduled(t);
  expect(await fraudOf(t, second)).toMatchObject({
    decision: "review",
    decisionSource: "rule",
    rules: {
      shadowMatched: [{ id: byEmail.id, name: "our_customers", action: "block" }],
      version: 2,
    },
  });
  // The first payment keeps the decision it was given.
  expect((await fraudOf(t, first)).decisionSource).toBe("model");

  await call(t, "PATCH", `/rules/${rule.id}`, { body: { mode: "disabled" } });
  const third = (await postPayment(t, { userId, amount: 1500 })).body.transaction.id;
  await runScheduled(t);
  expect(await fraudOf(t, third)).toMatchObject({
    decisionSource: "model",
    rules: { matched: [], version: 3 },
  });
});

test("when no rule matches, the scored payment is what the models alone give", async () => {
  const score = async (withRules: boolean) => {
    const t = setupBackend();
    const userId = await createUser(t, { email: `parity${withRules ? 1 : 0}@example.com` });
    if (withRules) {
      await create(t, "/lists", { name: "vip" });
      await create(t, "/rules", {
        name: "never",
        expression: "payment.amount > 1e9 || payment.userId in lists.vip",
        action: "allow",
      });
      await create(t, "/rules", {
        name: "shadowed",
        expression: "false",
        action: "block",
        mode: "shadow",
      });
    }
    const id = (
      await postPayment(t, {
        userId,
        amount: 320.5,
        terminalId: "T-7",
        timestamp: Date.UTC(2024, 2, 1),
      })
    ).body.transaction.id;
    await runScheduled(t);
    return await fraudOf(t, id);
  };
  const plain = await score(false);
  const ruled = await score(true);
  for (const field of ["score", "probability", "decision", "reasons", "features", "models"]) {
    expect(ruled[field], field).toEqual(plain[field]);
  }
  expect(ruled.explanation).toBe(plain.explanation);
  expect(ruled).toMatchObject({ decisionSource: "model", rules: { matched: [], version: 2 } });
});
