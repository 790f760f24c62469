import fc from "fast-check";
import { expect, test, vi } from "vitest";
import { call, setupBackend, type Backend } from "../test.setup";

/** The review, audit and webhook tables, as one comparable string. */
async function snapshot(t: Backend): Promise<string> {
  return await t.run(async (ctx) =>
    JSON.stringify([
      await ctx.db.query("reviews").take(10_000),
      await ctx.db.query("auditEvents").take(10_000),
      await ctx.db.query("webhookEndpoints").take(10_000),
      await ctx.db.query("webhookEvents").take(10_000),
    ]),
  );
}

test("random requests to reviews, audit and webhooks never get a 5xx, and a rejection writes nothing", async () => {
  const t = setupBackend();
  vi.stubGlobal("fetch", () => Promise.resolve(new Response("ok")));
  const webhookId = (
    await call(t, "POST", "/webhooks", {
      body: { url: "https://hooks.example.com/x", events: ["payment.scored"] },
    })
  ).body.webhook.id as string;

  const id = fc.oneof(
    fc.constant(webhookId),
    fc.string({ maxLength: 30 }).map(encodeURIComponent),
    fc.constantFrom("%", "%E0%A4", "..", "0", "%00", "pay_00000000000000000000"),
  );
  const endpoint = fc.oneof(
    fc.tuple(fc.constantFrom("GET"), fc.constantFrom("/reviews", "/audit", "/webhooks")),
    fc.tuple(fc.constant("POST"), fc.constant("/webhooks")),
    fc.tuple(
      fc.constantFrom("GET", "PATCH", "DELETE", "POST"),
      id.map((x) => `/webhooks/${x}`),
    ),
    fc.tuple(
      fc.constantFrom("GET", "POST"),
      id.map((x) => `/webhooks/${x}/deliveries`),
    ),
    fc.tuple(
      fc.constant("GET"),
      id.map((x) => `/reviews/${x}`),
    ),
    fc.tuple(
      fc.constant("POST"),
      fc.tuple(id, fc.constantFrom("assign", "resolve")).map(([x, a]) => `/reviews/${x}/${a}`),
    ),
  );
  const query = fc.oneof(
    fc.constant(""),
    fc
      .array(
        fc.tuple(
          fc.constantFrom("limit", "cursor", "status", "targetType", "targetId", "action", "x"),
          fc.oneof(
            fc.string({ maxLength: 20 }),
            fc.integer({ min: -5, max: 500 }).map(String),
            fc.constantFrom(
              "open",
              "approved",
              "payment",
              "webhook",
              "payment.labeled",
              "WzEsMiwiYSJd",
            ),
          ),
        ),
        { maxLength: 3 },
      )
      .map((pairs) => `?${new URLSearchParams(pairs).toString()}`),
  );
  const body = fc.oneof(
    fc.record(
      {
        url: fc.oneof(
          fc.webUrl(),
          fc.constantFrom("https://10.0.0.1/x", "http://localhost/", "https://[::1]/"),
          fc.string({ maxLength: 20 }),
        ),
        events: fc.oneof(
          fc.array(fc.constantFrom("payment.scored", "review.opened", "nope"), { maxLength: 5 }),
          fc.string({ maxLength: 5 }),
        ),
        enabled: fc.oneof(fc.boolean(), fc.string({ maxLength: 3 })),
        assignee: fc.oneof(fc.string({ maxLength: 250 }), fc.integer()),
        outcome: fc.oneof(fc.constantFrom("approve", "decline"), fc.string({ maxLength: 8 })),
        note: fc.string({ maxLength: 30 }),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue(),
  );

  let requests = 0;
  await fc.assert(
    fc.asyncProperty(endpoint, query, body, async ([method, path], q, b) => {
      const before = await snapshot(t);
      const res = await call(t, method, `${path}${q}`, method === "GET" ? {} : { body: b });
      requests += 1;
      expect(res.status).toBeLessThan(500);
      if (res.status >= 400) {
        expect(res.body).toMatchObject({
          error: { code: expect.any(String), message: expect.any(String) },
        });
        expect(await snapshot(t)).toBe(before);
      }
    }),
    { numRuns: 400, seed: 20261202 },
  );
  expect(requests).toBe(400);
  vi.unstubAllGlobals();
});
