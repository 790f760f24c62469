import type { AuthConfig, AuthProvider } from "convex/server";

/*
 * Identities for the reactive queries come from your auth provider's JWTs. Configure
 * it with environment variables (`npx convex env set ...`):
 *   AUTH_ISSUER + AUTH_JWKS_URL   a custom JWT provider (RS256 unless AUTH_ALGORITHM=ES256)
 *   AUTH_APPLICATION_ID           the audience tokens must carry (strongly recommended)
 * A token with the claim `"role": "analyst"` may read every customer's payments.
 * Convex evaluates this file at deploy time, where only `process.env` is available.
 */
/* eslint-disable @convex-dev/no-process-env */
const issuer = process.env.AUTH_ISSUER;
const jwks = process.env.AUTH_JWKS_URL;
const applicationID = process.env.AUTH_APPLICATION_ID;
const algorithm = process.env.AUTH_ALGORITHM === "ES256" ? "ES256" : "RS256";
/* eslint-enable @convex-dev/no-process-env */

const providers: AuthProvider[] =
  issuer && jwks ? [{ type: "customJwt", issuer, jwks, algorithm, applicationID }] : [];

export default { providers } satisfies AuthConfig;
