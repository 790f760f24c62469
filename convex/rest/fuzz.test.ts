import fc from "fast-check";
import { expect, test } from "vitest";
import { API_KEY, call, createUser, postPayment, setupBackend, type Backend } from "../test.setup";

/** Everything the app tables hold, as one comparable string. */
async function snapshot(t: Backend): Promise<string> {
  return await t.run(async (ctx) =>
    JSON.stringify([
      await ctx.db.query("users").take(10_000),
      await ctx.db.query("tempTransactions").take(10_000),
      await ctx.db.query("transactions").take(10_000),
    ]),
  );
}

test("random and malformed requests never get a 5xx, always an envelope, and a rejection writes nothing", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const paymentId = (await postPayment(t, { userId })).body.transaction.id as string;

  const id = fc.oneof(
    fc.constant(userId),
    fc.constant(paymentId),
    fc.constant("pay_00000000000000000000"),
    fc.string({ maxLength: 30 }).map(encodeURIComponent),
    fc.constantFrom("%", "%E0%A4", "..", "users", "0", "-1", "%00", "a/b"),
  );
  const path = fc.oneof(
    fc.constantFrom("/health", "/openapi.json", "/users", "/transactions", "/", ""),
    id.map((x) => `/users/${x}`),
    id.map((x) => `/users/${x}/transactions`),
    id.map((x) => `/transactions/${x}`),
    id.map((x) => `/transactions/${x}/feedback`),
    fc.string({ maxLength: 40 }).map((s) => `/${encodeURIComponent(s)}`),
  );
  const query = fc.oneof(
    fc.constant(""),
    fc
      .array(
        fc.tuple(
          fc.constantFrom("limit", "cursor", "status", "userId", "cascade", "x"),
          fc.oneof(
            fc.string({ maxLength: 20 }),
            fc.integer({ min: -5, max: 500 }).map(String),
            fc.constantFrom("pending", "scored", "true", "eyJ4IjoxfQ", userId),
          ),
        ),
        { maxLength: 3 },
      )
      .map((pairs) => `?${new URLSearchParams(pairs).toString()}`),
  );
  const validish = fc.record(
    {
      userId: fc.oneof(fc.constant(userId), fc.string({ maxLength: 10 })),
      amount: fc.oneof(fc.double(), fc.integer(), fc.string({ maxLength: 5 })),
      terminalId: fc.oneof(fc.string({ maxLength: 120 }), fc.integer()),
      currency: fc.oneof(fc.constantFrom("USD", "EUR", "usd", "XXX"), fc.string({ maxLength: 4 })),
      timestamp: fc.oneof(fc.integer(), fc.double(), fc.constant(Date.UTC(2018, 4, 1))),
      metadata: fc.oneof(fc.object({ maxDepth: 2 }), fc.dictionary(fc.string(), fc.string())),
      name: fc.string({ maxLength: 250 }),
      email: fc.oneof(fc.emailAddress(), fc.string({ maxLength: 20 })),
      label: fc.oneof(fc.constantFrom("fraud", "legitimate"), fc.string({ maxLength: 10 })),
      productCategory: fc.oneof(fc.string({ maxLength: 150 }), fc.boolean()),
    },
    { requiredKeys: [] },
  );
  const body = fc.oneof(
    fc.constant(undefined),
    { arbitrary: validish.map((b) => JSON.stringify(b)), weight: 4 },
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 50 }),
    fc.constantFrom("{", "[1,", '{"a":}', "\u0000", "null", '"str"', "{}"),
  );
  const contentType = fc.oneof(
    { arbitrary: fc.constant("application/json"), weight: 6 },
    fc.constantFrom(
      "application/json; charset=utf-8",
      "text/plain",
      "application/x-www-form-urlencoded",
      undefined,
    ),
  );
  const authorization = fc.oneof(
    { arbitrary: fc.constant(`Bearer ${API_KEY}`), weight: 8 },
    fc.constant(undefined),
    fc.string({ maxLength: 30 }),
    fc.constant(`bearer ${API_KEY}x`),
  );
  const idempotencyKey = fc.option(fc.string({ maxLength: 300 }), { nil: undefined });
  // Mostly methods that exist on the path, so requests get past routing into validation.
  const endpoint = fc.oneof(
    {
      arbitrary: fc.tuple(fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT"), path),
      weight: 2,
    },
    fc.tuple(fc.constantFrom("POST", "GET"), fc.constant("/users")),
    fc.tuple(fc.constantFrom("POST", "GET"), fc.constant("/transactions")),
    fc.tuple(
      fc.constantFrom("GET", "PATCH", "DELETE"),
      id.map((x) => `/users/${x}`),
    ),
    fc.tuple(
      fc.constant("GET"),
      id.map((x) => `/users/${x}/transactions`),
    ),
    fc.tuple(
      fc.constantFrom("GET", "PATCH", "DELETE"),
      id.map((x) => `/transactions/${x}`),
    ),
    fc.tuple(
      fc.constant("POST"),
      id.map((x) => `/transactions/${x}/feedback`),
    ),
  );

  let requests = 0;
  await fc.assert(
    fc.asyncProperty(
      endpoint,
      query,
      body,
      contentType,
      authorization,
      idempotencyKey,
      async ([m, p], q, b, type, auth, key) => {
        const headers: Record<string, string> = {};
        if (type) headers["Content-Type"] = type;
        if (auth) headers.Authorization = auth;
        if (key !== undefined) headers["Idempotency-Key"] = key;
        const canHaveBody = m !== "GET";
        const before = await snapshot(t);
        let response: Response;
        try {
          response = await t.fetch(`/api/v1${p}${q}`, {
            method: m,
            headers,
            body: canHaveBody ? b : undefined,
          });
        } catch (error) {
          // The fetch client itself refuses some header values; nothing reached the API.
          if (error instanceof TypeError) return;
          throw error;
        }
        requests += 1;
        expect(response.status).toBeLessThan(500);
        expect(response.headers.get("x-content-type-options")).toBe("nosniff");
        expect(response.headers.get("cache-control")).toBe("no-store");
        const text = await response.text();
        if (response.status >= 400) {
          const parsed = JSON.parse(text);
          expect(parsed).toMatchObject({
            error: { code: expect.any(String), message: expect.any(String) },
          });
          expect(await snapshot(t)).toBe(before);
        }
      },
    ),
    { numRuns: 2000, seed: 20261124 },
  );
  expect(requests).toBeGreaterThan(1500);
}, 240_000);

test("any metadata key is stored and read back exactly, or refused with a 422 naming it", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const storable = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;
  const key = fc.oneof(
    fc.constantFrom("__proto__", "constructor", "prototype", "$id", "_id", "é", "名前", "a\u200bb"),
    fc.constantFrom("a\u0000", "tab\t", "has space", "x".repeat(41), "", "ok_key-1.2", "Z"),
    fc.string({ maxLength: 12 }),
    fc.string({ unit: "grapheme", maxLength: 6 }),
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,10}$/),
  );
  let stored = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(key, fc.boolean(), async (k, viaPatch) => {
      // Raw JSON text: an object literal would turn "__proto__" into a prototype.
      const metadata = `{${JSON.stringify(k)}:"v"}`;
      const before = await snapshot(t);
      let res;
      if (viaPatch) {
        const created = await postPayment(t, { userId });
        res = await call(t, "PATCH", `/transactions/${created.body.transaction.id}`, {
          rawBody: `{"metadata":${metadata}}`,
        });
      } else {
        res = await call(t, "POST", "/transactions", {
          rawBody: `{"userId":${JSON.stringify(userId)},"amount":5,"terminalId":"T1","metadata":${metadata}}`,
        });
      }
      if (storable.test(k) && k !== "constructor" && k !== "prototype") {
        expect(res.status).toBeLessThan(300);
        const id = res.body.transaction.id as string;
        const read = await call(t, "GET", `/transactions/${id}`);
        expect(Object.entries(read.body.transaction.metadata)).toEqual([[k, "v"]]);
        stored += 1;
      } else {
        expect(res.status).toBe(422);
        expect(res.body.error.code).toBe("validation_failed");
        expect(res.body.error.details).toContainEqual(
          expect.objectContaining({ field: `metadata.${k}` }),
        );
        if (!viaPatch) expect(await snapshot(t)).toBe(before);
        refused += 1;
      }
    }),
    { numRuns: 300, seed: 20261202 },
  );
  expect(stored).toBeGreaterThan(30);
  expect(refused).toBeGreaterThan(30);
}, 120_000);
