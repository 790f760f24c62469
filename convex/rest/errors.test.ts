import { expect, test, vi } from "vitest";
import { handleApiRequest } from "./dispatch";
import type { HttpCtx } from "./route";
import { routes } from "./routes";
import { API_KEY, call, createUser, postPayment, setupBackend } from "../test.setup";

function expectEnvelope(body: unknown, code: string) {
  expect(body).toMatchObject({ error: { code, message: expect.any(String) } });
}

test("health and the OpenAPI document need no key; everything else does", async () => {
  const t = setupBackend();
  const health = await call(t, "GET", "/health", { key: null });
  expect(health.status).toBe(200);
  expect(health.body).toEqual({ status: "ok" });
  const doc = await call(t, "GET", "/openapi.json", { key: null });
  expect(doc.status).toBe(200);
  expect(doc.body.openapi).toBe("3.1.0");

  for (const [method, path] of [
    ["GET", "/transactions"],
    ["POST", "/users"],
    ["GET", "/users/abc"],
    ["DELETE", "/transactions/pay_00000000000000000000"],
  ]) {
    const body = method === "POST" ? {} : undefined;
    const missing = await call(t, method, path, { key: null, body });
    expect(missing.status).toBe(401);
    expectEnvelope(missing.body, "unauthorized");
    expect(missing.headers.get("www-authenticate")).toContain("Bearer");
    const wrong = await call(t, method, path, { key: `${API_KEY}x`, body });
    expect(wrong.status).toBe(401);
    const prefix = await call(t, method, path, { key: API_KEY.slice(0, -1), body });
    expect(prefix.status).toBe(401);
  }
  const basic = await call(t, "GET", "/transactions", {
    key: null,
    headers: { Authorization: `Basic ${btoa(`${API_KEY}:`)}` },
  });
  expect(basic.status).toBe(401);
});

test("an empty API_KEYS setting refuses every request", async () => {
  const t = setupBackend({ API_KEYS: " , " });
  expect((await call(t, "GET", "/transactions")).status).toBe(401);
  expect((await call(t, "GET", "/health", { key: null })).status).toBe(200);
});

test("unknown routes are 404 and wrong methods 405 with Allow, as JSON", async () => {
  const t = setupBackend();
  const missing = await call(t, "GET", "/nothing-here");
  expect(missing.status).toBe(404);
  expectEnvelope(missing.body, "route_not_found");
  const deep = await call(t, "GET", "/users/a/b/c");
  expect(deep.status).toBe(404);

  const put = await call(t, "PUT", "/users/abc", { body: {} });
  expect(put.status).toBe(405);
  expectEnvelope(put.body, "method_not_allowed");
  expect(put.headers.get("allow")).toBe("GET, PATCH, DELETE");
  const postHealth = await call(t, "POST", "/health", { body: {} });
  expect(postHealth.status).toBe(405);
  expect(postHealth.headers.get("allow")).toBe("GET");
  const deleteList = await call(t, "DELETE", "/transactions");
  expect(deleteList.headers.get("allow")).toBe("POST, GET");
});

test("an unknown query parameter is a 400 on every route, before anything runs", async () => {
  const t = setupBackend();
  const before = await t.run(async (ctx) => (await ctx.db.query("users").take(10)).length);
  for (const route of routes) {
    const path = route.path.replace(/\{\w+\}/g, "x");
    const res = await call(t, route.method, `${path}?bogus=1`, {
      body: route.body ? {} : undefined,
    });
    expect(res.status, `${route.method} ${route.path}`).toBe(400);
    expectEnvelope(res.body, "invalid_query");
    expect(res.body.error.details).toContainEqual({ field: "bogus", message: "unknown field" });
  }
  expect(await t.run(async (ctx) => (await ctx.db.query("users").take(10)).length)).toBe(before);
});

test("bodies: 415 when not JSON, 400 when malformed, 413 when too large, 422 when invalid", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const notJson = await call(t, "POST", "/users", {
    rawBody: "name=x",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  expect(notJson.status).toBe(415);
  expectEnvelope(notJson.body, "unsupported_media_type");
  const noType = await t.fetch("/api/v1/users", {
    method: "POST",
    headers: { Authorization: `Bearer ${API_KEY}` },
    body: "{}",
  });
  expect(noType.status).toBe(415);

  const malformed = await call(t, "POST", "/users", { rawBody: '{"name": "x",' });
  expect(malformed.status).toBe(400);
  expectEnvelope(malformed.body, "malformed_json");

  const huge = await call(t, "POST", "/transactions", {
    body: { userId, amount: 1, terminalId: "T", metadata: { blob: "x".repeat(70_000) } },
  });
  expect(huge.status).toBe(413);
  expectEnvelope(huge.body, "payload_too_large");

  const invalid = await call(t, "POST", "/users", { body: { name: "", email: "not-an-email" } });
  expect(invalid.status).toBe(422);
  expectEnvelope(invalid.body, "validation_failed");
  expect(invalid.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
    "email",
    "name",
  ]);
  const array = await call(t, "POST", "/users", { body: [1, 2] });
  expect(array.status).toBe(422);
  const emptyPatch = await call(t, "PATCH", `/users/${userId}`, { body: {} });
  expect(emptyPatch.status).toBe(422);

  const charset = await call(t, "POST", "/users", {
    body: { name: "Charset", email: "charset@example.com" },
    headers: { "Content-Type": "application/json; charset=utf-8" },
  });
  expect(charset.status).toBe(201);
});

test("a token bucket per API key answers 429 with Retry-After", async () => {
  const t = setupBackend({ RATE_LIMIT_PER_MINUTE: "3" });
  for (let i = 0; i < 3; i++) expect((await call(t, "GET", "/transactions")).status).toBe(200);
  const limited = await call(t, "GET", "/transactions");
  expect(limited.status).toBe(429);
  expectEnvelope(limited.body, "rate_limited");
  const retryAfter = Number(limited.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(20);
  // Another key has its own bucket; health is not limited.
  expect((await call(t, "GET", "/transactions", { key: "second-key" })).status).toBe(200);
  expect((await call(t, "GET", "/health", { key: null })).status).toBe(200);
});

test("CORS: preflight and responses carry the allowed origin", async () => {
  const t = setupBackend({ CORS_ORIGINS: "https://app.example.com" });
  const preflight = await t.fetch("/api/v1/transactions", {
    method: "OPTIONS",
    headers: {
      Origin: "https://app.example.com",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "authorization,content-type",
    },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
  expect(preflight.headers.get("access-control-allow-headers")).toContain("Authorization");

  const res = await t.fetch("/api/v1/health", { headers: { Origin: "https://app.example.com" } });
  expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
  const foreign = await t.fetch("/api/v1/health", { headers: { Origin: "https://evil.example" } });
  expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
});

test("a real fault is a 500 envelope without internals", async () => {
  const brokenCtx = {
    runQuery: () => Promise.reject(new Error("secret database detail at /srv/app.ts:12")),
    runMutation: () => Promise.resolve({ ok: true, retryAfter: undefined }),
  } as unknown as HttpCtx;
  vi.stubEnv("API_KEYS", API_KEY);
  const errors: unknown[] = [];
  const originalError = console.error;
  console.error = (...args: unknown[]) => errors.push(args);
  try {
    const response = await handleApiRequest(
      brokenCtx,
      new Request("https://x.convex.site/api/v1/transactions/pay_00000000000000000000", {
        headers: { Authorization: `Bearer ${API_KEY}` },
      }),
    );
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: "internal_error", message: "Something went wrong on our side." },
    });
    expect(text).not.toContain("secret");
    expect(errors).toHaveLength(1);
  } finally {
    console.error = originalError;
  }
});

test("an id of another table in a path is a 404", async () => {
  const t = setupBackend();
  const userId = await createUser(t);
  const tx = (await postPayment(t, { userId })).body.transaction.id;
  expect((await call(t, "GET", `/transactions/${userId}`)).status).toBe(404);
  expect((await call(t, "GET", `/users/${tx}`)).status).toBe(404);
  expect(
    (await call(t, "PATCH", `/transactions/${userId}`, { body: { productCategory: "x" } })).status,
  ).toBe(404);
});
