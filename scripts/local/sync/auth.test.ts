/**
 * Local mode's own issuer, verified through `convex/auth.config.ts` itself: `/dev/token`, the
 * JWKS on the HTTP port, the key kept in the data directory, and what verification refuses.
 */
import fs from "node:fs";
import { createServer, type Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "vitest";
import { identityFromClaims, startLocalAuth, type LocalAuth } from "./auth";

let server: Server;
let url: string;
let auth: LocalAuth | null = null;
let dataDir: string;
const saved = { ...process.env };

// One HTTP server for the file: `auth.config.ts` is evaluated once per process (as by Convex,
// at deploy time), with the issuer URL of the first start.
beforeAll(async () => {
  server = createServer((req, res) => {
    void (auth?.routes(req, res) ?? Promise.resolve(false)).then((answered) => {
      if (!answered) {
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => new Promise((r) => server.close(r)));

beforeEach(() => {
  delete process.env.AUTH_ISSUER;
  delete process.env.AUTH_JWKS_URL;
  delete process.env.AUTH_APPLICATION_ID;
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "auth-test-"));
});

afterEach(() => {
  process.env = { ...saved };
  auth = null;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function devToken(query: string): Promise<{ status: number; token?: string }> {
  const response = await fetch(`${url}/dev/token${query}`);
  const body = (await response.json()) as { token?: string };
  return { status: response.status, token: body.token };
}

test("the local issuer's tokens verify through auth.config.ts, with Convex's identity", async () => {
  auth = await startLocalAuth({ httpUrl: url, dataDir });
  expect(process.env.AUTH_ISSUER).toBe(url);
  const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as {
    keys: Array<{ kty: string; d?: string }>;
  };
  expect(jwks.keys).toHaveLength(1);
  expect(jwks.keys[0].kty).toBe("RSA");
  expect(jwks.keys[0].d).toBeUndefined(); // the public half only

  const analyst = await devToken("?role=analyst");
  expect(analyst.status).toBe(200);
  expect(await auth.verifyToken(analyst.token!)).toEqual({
    tokenIdentifier: `${url}|dev-analyst`,
    subject: "dev-analyst",
    issuer: url,
    role: "analyst",
  });
  const customer = await devToken("?subject=cust-7");
  expect(await auth.verifyToken(customer.token!)).toEqual({
    tokenIdentifier: `${url}|cust-7`,
    subject: "cust-7",
    issuer: url,
  });
  expect((await devToken("")).status).toBe(400);
});

test("the key is kept in the data directory: tokens survive a restart", async () => {
  auth = await startLocalAuth({ httpUrl: url, dataDir });
  const { token } = await devToken("?role=analyst");
  delete process.env.AUTH_ISSUER;
  auth = await startLocalAuth({ httpUrl: url, dataDir });
  expect((await auth.verifyToken(token!)).subject).toBe("dev-analyst");
  expect(fs.existsSync(path.join(dataDir, "auth-key.json"))).toBe(true);
});

test("expired, foreign, wrongly addressed and malformed tokens are refused", async () => {
  auth = await startLocalAuth({ httpUrl: url, dataDir });
  const issuer = auth.issuer!;
  await expect(auth.verifyToken(await issuer.token("late", {}, -10))).rejects.toThrow(/exp/);
  const { privateKey } = await import("jose").then((j) => j.generateKeyPair("RS256"));
  const foreign = await new SignJWT({})
    .setProtectedHeader({ alg: "RS256", kid: issuer.jwks().keys[0].kid })
    .setIssuer(url)
    .setAudience("convex-local")
    .setSubject("mallory")
    .setExpirationTime("1h")
    .sign(privateKey);
  await expect(auth.verifyToken(foreign)).rejects.toThrow(/signature/);
  const otherIssuer = await new SignJWT({})
    .setProtectedHeader({ alg: "RS256" })
    .setIssuer("https://elsewhere.test")
    .setSubject("x")
    .sign(privateKey);
  await expect(auth.verifyToken(otherIssuer)).rejects.toThrow(/no provider/);
  await expect(auth.verifyToken("nope")).rejects.toThrow(/not a JWT/);
});

test("an identity maps the standard claims to Convex's names and keeps custom ones", () => {
  expect(
    identityFromClaims({
      iss: "https://i",
      sub: "s",
      aud: "a",
      exp: 1,
      iat: 0,
      email: "e@x",
      email_verified: true,
      given_name: "Ada",
      role: "analyst",
      org: { id: 1 },
    }),
  ).toEqual({
    tokenIdentifier: "https://i|s",
    subject: "s",
    issuer: "https://i",
    email: "e@x",
    emailVerified: true,
    givenName: "Ada",
    role: "analyst",
    org: { id: 1 },
  });
});
