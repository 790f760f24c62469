import type { ApiKeyEntry } from "../config";
import type { AuditActor } from "../model/audit/validators";
import { ApiError } from "./errors";

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

const toHex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** Lower-case hex of the SHA-256 of `text`. */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(await sha256(text));
}

/** Digests of the configured keys, computed once per key for the life of the process. */
const configuredDigests = new Map<string, Promise<Uint8Array>>();
function digestOfConfigured(key: string): Promise<Uint8Array> {
  let digest = configuredDigests.get(key);
  if (!digest) configuredDigests.set(key, (digest = sha256(key)));
  return digest;
}

/** The caller, once its key is verified. */
export type Client = {
  /** Hex SHA-256 of the API key: names the caller (rate limits, idempotency) without the key. */
  fingerprint: string;
  /** The key's configured name (`API_KEYS` entry `name:key`), or `null`. */
  name: string | null;
};

/** Who the audit trail says acted: the key's name, else `key_` and 16 hex of its fingerprint. */
export function actorOf(client: Client): AuditActor {
  return { kind: "apiKey", name: client.name ?? `key_${client.fingerprint.slice(0, 16)}` };
}

/**
 * Checks `Authorization: Bearer <key>` against the configured keys. The comparison takes
 * the same time wherever the inputs differ: digests of equal length are compared byte by
 * byte, against every key, with no early exit. Throws a 401 `ApiError` otherwise.
 */
export async function authenticate(request: Request, validKeys: ApiKeyEntry[]): Promise<Client> {
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
  const presented = await sha256(match[1]);
  let valid = false;
  let name: string | null = null;
  for (const entry of validKeys) {
    const expected = await digestOfConfigured(entry.key);
    let diff = 0;
    for (let i = 0; i < expected.length; i++) diff |= expected[i] ^ presented[i];
    if (diff === 0) {
      valid = true;
      name = entry.name;
    }
  }
  if (!valid) {
    throw new ApiError(401, "unauthorized", "Invalid API key.", undefined, {
      "WWW-Authenticate": 'Bearer realm="api", error="invalid_token"',
    });
  }
  return { fingerprint: toHex(presented), name };
}
