/**
 * Auth as on a deployment: a client's JWT is verified against the providers of
 * `convex/auth.config.ts` (issuer, audience = `applicationID`, expiry, signature from the
 * provider's JWKS, refetched when an unknown key id shows up, so keys can rotate), and the
 * identity is built as Convex builds it: `tokenIdentifier` = `iss|sub`, the standard OpenID
 * claims under Convex's names, custom claims (such as `role`) kept.
 *
 * When `AUTH_ISSUER` is unset, local mode is its own issuer: an RS256 key generated once and
 * kept in the data directory, its JWKS at `<http url>/.well-known/jwks.json`, and the local-only
 * `GET /dev/token?role=analyst` (or `?subject=<sub>`) answering `{"token": "<JWT>"}`. It sets
 * `AUTH_ISSUER`/`AUTH_JWKS_URL`/`AUTH_APPLICATION_ID` before `auth.config.ts` is read, so that
 * file stays the only source of truth for verification.
 */
import fs from "node:fs";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  createRemoteJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import type { JSONValue } from "convex/values";
import type { Identity } from "./queries";
import type { TokenVerifier } from "./session";

/** A provider of `auth.config.ts` (the two kinds Convex supports). */
export type AuthProviderConfig =
  | {
      type: "customJwt";
      issuer: string;
      jwks: string;
      algorithm: "RS256" | "ES256";
      applicationID?: string;
    }
  | { type?: undefined; domain: string; applicationID: string };

/** JWT claims Convex maps to `UserIdentity` fields of other names. */
const STANDARD_CLAIMS: Record<string, string> = {
  name: "name",
  given_name: "givenName",
  family_name: "familyName",
  nickname: "nickname",
  preferred_username: "preferredUsername",
  profile: "profileUrl",
  picture: "pictureUrl",
  email: "email",
  email_verified: "emailVerified",
  gender: "gender",
  birthdate: "birthday",
  zoneinfo: "timezone",
  locale: "language",
  phone_number: "phoneNumber",
  phone_number_verified: "phoneNumberVerified",
  address: "address",
  updated_at: "updatedAt",
};
const REGISTERED_CLAIMS = new Set(["iss", "sub", "aud", "exp", "nbf", "iat", "jti"]);

/** The identity Convex builds from a verified token's claims. */
export function identityFromClaims(claims: JWTPayload): Identity {
  if (typeof claims.iss !== "string" || typeof claims.sub !== "string") {
    throw new Error("the token has no `iss` or no `sub` claim");
  }
  const identity: Identity = {
    tokenIdentifier: `${claims.iss}|${claims.sub}`,
    subject: claims.sub,
    issuer: claims.iss,
  };
  for (const [claim, value] of Object.entries(claims)) {
    if (REGISTERED_CLAIMS.has(claim) || value === undefined) continue;
    const field = STANDARD_CLAIMS[claim] ?? claim;
    identity[field] = (
      claim === "updated_at" && typeof value === "number" ? String(value) : value
    ) as JSONValue;
  }
  return identity;
}

export interface VerifierOptions {
  /** Minimum time between two refetches of a JWKS (jose's cooldown). Default 30 s. */
  jwksCooldownMs?: number;
  fetch?: typeof fetch;
}

/** Verifies tokens against `providers` (as `auth.config.ts` lists them). */
export function tokenVerifier(
  providers: readonly AuthProviderConfig[],
  options: VerifierOptions = {},
): TokenVerifier {
  const keySets = new Map<string, Promise<JWTVerifyGetKey>>();
  const cooldownDuration = options.jwksCooldownMs ?? 30_000;
  const fetchImpl = options.fetch ?? fetch;
  const keysFor = (provider: AuthProviderConfig): Promise<JWTVerifyGetKey> => {
    const id = provider.type === "customJwt" ? provider.jwks : provider.domain;
    let keys = keySets.get(id);
    if (keys === undefined) {
      keys = (async () => {
        let jwksUrl: string;
        if (provider.type === "customJwt") jwksUrl = provider.jwks;
        else {
          const discovery = await fetchImpl(
            `${provider.domain.replace(/\/$/, "")}/.well-known/openid-configuration`,
          );
          jwksUrl = ((await discovery.json()) as { jwks_uri: string }).jwks_uri;
        }
        return createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration });
      })();
      keys.catch(() => keySets.delete(id));
      keySets.set(id, keys);
    }
    return keys;
  };
  return async (token) => {
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      throw new Error("the token is not a JWT");
    }
    const provider = providers.find((p) =>
      p.type === "customJwt" ? p.issuer === claims.iss : sameIssuer(p.domain, claims.iss),
    );
    if (provider === undefined) {
      throw new Error(
        `no provider of convex/auth.config.ts has the token's issuer ${String(claims.iss)}`,
      );
    }
    const { payload } = await jwtVerify(token, await keysFor(provider), {
      issuer: claims.iss,
      audience: provider.applicationID,
      algorithms: provider.type === "customJwt" ? [provider.algorithm] : undefined,
    });
    return identityFromClaims(payload);
  };
}

function sameIssuer(domain: string, iss: unknown): boolean {
  return typeof iss === "string" && iss.replace(/\/$/, "") === domain.replace(/\/$/, "");
}

/** The local issuer's signing key: generated once, kept in the data directory. */
export class LocalIssuer {
  private constructor(
    readonly issuer: string,
    readonly audience: string,
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK,
  ) {}

  static async create(issuer: string, audience: string, dataDir: string | null) {
    const file = dataDir === null ? null : path.join(dataDir, "auth-key.json");
    let jwk: JWK;
    if (file !== null && fs.existsSync(file)) {
      jwk = JSON.parse(fs.readFileSync(file, "utf8")) as JWK;
    } else {
      const { privateKey } = await generateKeyPair("RS256", { extractable: true });
      jwk = { ...(await exportJWK(privateKey)), alg: "RS256", kid: `local-${Date.now()}` };
      if (file !== null) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify(jwk), { mode: 0o600 });
      }
    }
    const privateKey = (await importJWK(jwk, "RS256")) as CryptoKey;
    const { kty, n, e, kid, alg } = jwk;
    return new LocalIssuer(issuer, audience, privateKey, { kty, n, e, kid, alg, use: "sig" });
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /** A signed token for `subject` with extra claims (`role`), valid `lifetimeSeconds`. */
  token(subject: string, claims: Record<string, unknown> = {}, lifetimeSeconds = 3600) {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: this.publicJwk.kid, typ: "JWT" })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + lifetimeSeconds)
      .sign(this.privateKey);
  }
}

export interface LocalAuth {
  verifyToken: TokenVerifier;
  /** The local issuer, when `AUTH_ISSUER` was unset. */
  issuer: LocalIssuer | null;
  /** `GET /.well-known/jwks.json` and `GET /dev/token` (local issuer only); true if answered. */
  routes: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

/** The subject of `/dev/token?role=analyst` tokens. */
export const DEV_ANALYST_SUBJECT = "dev-analyst";

/**
 * Auth for local mode. `httpUrl` is where the HTTP port is reachable (the local issuer's `iss`
 * and where its JWKS is served).
 */
export async function startLocalAuth(options: {
  httpUrl: string;
  dataDir: string | null;
  env?: NodeJS.ProcessEnv;
  loadProviders?: () => Promise<readonly AuthProviderConfig[]>;
}): Promise<LocalAuth> {
  const env = options.env ?? process.env;
  let issuer: LocalIssuer | null = null;
  if (!env.AUTH_ISSUER) {
    env.AUTH_ISSUER = options.httpUrl;
    env.AUTH_JWKS_URL = `${options.httpUrl}/.well-known/jwks.json`;
    env.AUTH_APPLICATION_ID ||= "convex-local";
    env.AUTH_ALGORITHM = "RS256";
    issuer = await LocalIssuer.create(env.AUTH_ISSUER, env.AUTH_APPLICATION_ID, options.dataDir);
  }
  const providers = await (options.loadProviders ?? loadAuthConfigProviders)();
  const verifyToken = tokenVerifier(providers);
  return {
    verifyToken,
    issuer,
    routes: async (req, res) => {
      if (issuer === null || req.method !== "GET") return false;
      const url = new URL(req.url ?? "/", "http://local");
      if (url.pathname === "/.well-known/jwks.json") {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify(issuer.jwks()));
        return true;
      }
      if (url.pathname === "/dev/token") {
        const role = url.searchParams.get("role");
        const subject = url.searchParams.get("subject") ?? (role ? `dev-${role}` : null);
        res.setHeader("Access-Control-Allow-Origin", "*");
        if (subject === null || subject === "") {
          res.writeHead(400, { "Content-Type": "application/json" });
          res.end(
            JSON.stringify({
              error: { code: "invalid_request", message: "Give ?role=analyst or ?subject=<sub>." },
            }),
          );
          return true;
        }
        const token = await issuer.token(subject, role ? { role } : {});
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ token }));
        return true;
      }
      return false;
    },
  };
}

/** The providers `convex/auth.config.ts` lists under the current environment. */
export async function loadAuthConfigProviders(): Promise<readonly AuthProviderConfig[]> {
  const config: { default: { providers: readonly AuthProviderConfig[] } } =
    await import("../../../convex/auth.config");
  return config.default.providers;
}
