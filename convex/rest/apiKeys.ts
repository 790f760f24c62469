import { ApiError } from "./responses";

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** Lower-case hex of the SHA-256 of `text`. */
export async function sha256Hex(text: string): Promise<string> {
  return Array.from(await sha256(text), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Compares in time independent of where the inputs differ: both sides are hashed to
 * fixed-length digests and every byte is compared, so neither the key's length nor
 * its first wrong character shows in the timing.
 */
async function constantTimeEquals(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256(a), sha256(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

/**
 * Checks `Authorization: Bearer <key>` against the configured keys, comparing with
 * every key (no early exit). Returns the key; throws a 401 `ApiError` otherwise.
 */
export async function authenticate(request: Request, validKeys: string[]): Promise<string> {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw new ApiError(
      401,
      "unauthorized",
      "Missing API key: send Authorization: Bearer <key>.",
      undefined,
      {
        "WWW-Authenticate": 'Bearer realm="api"',
      },
    );
  }
  const presented = match[1];
  let valid = false;
  for (const key of validKeys) {
    if (await constantTimeEquals(presented, key)) valid = true;
  }
  if (!valid) {
    throw new ApiError(401, "unauthorized", "Invalid API key.", undefined, {
      "WWW-Authenticate": 'Bearer realm="api", error="invalid_token"',
    });
  }
  return presented;
}
