/**
 * Which URLs a webhook may point at (SSRF): `https` only, no credentials, and no host that
 * names this machine or a private network: `localhost`, loopback, private (RFC 1918, CGNAT,
 * IPv6 unique-local), link-local (cloud metadata services live there), unspecified or
 * multicast addresses, and names under `.localhost`, `.local` or `.internal`. With
 * `allowLocalhost` (local mode: `WEBHOOK_ALLOW_LOCALHOST`), `http` or `https` to `127.0.0.1`
 * or `localhost` is accepted too, where a developer's receiver runs. The check runs on create,
 * on update and before every attempt. A functions runtime cannot resolve names, so a public
 * name that resolves to a private address is not caught here (redirects are never followed).
 */

function ipv4Parts(host: string): number[] | null {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return null;
  const parts = host.split(".").map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

function isPrivateIpv4([a, b]: number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

function isPrivateIpv6(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "::" || h === "::1") return true;
  // IPv4-mapped (::ffff:a.b.c.d, or as the URL parser writes it, ::ffff:xxxx:xxxx).
  const mapped = /^::ffff:(.+)$/.exec(h);
  if (mapped) {
    const v4 = ipv4Parts(mapped[1]);
    if (v4) return isPrivateIpv4(v4);
    const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(mapped[1]);
    if (hex) {
      const hi = parseInt(hex[1], 16);
      return isPrivateIpv4([hi >> 8, hi & 255]);
    }
    return true;
  }
  return /^(fc|fd|fe[89ab]|ff)/.test(h);
}

function isLocalhostName(host: string): boolean {
  return host === "localhost" || host === "127.0.0.1";
}

/** Why a webhook URL is refused, or `null` when it is acceptable. */
export function webhookUrlProblem(
  raw: string,
  options: { allowLocalhost: boolean },
): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "is not a valid URL";
  }
  if (url.username || url.password) return "must not carry credentials";
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (options.allowLocalhost && isLocalhostName(host)) {
    return url.protocol === "http:" || url.protocol === "https:" ? null : "must be http(s)";
  }
  if (url.protocol !== "https:") return "must use https";
  const v4 = ipv4Parts(host);
  if (v4) return isPrivateIpv4(v4) ? "must not point at a private or loopback address" : null;
  if (host.includes(":")) {
    return isPrivateIpv6(host) ? "must not point at a private or loopback address" : null;
  }
  if (host === "localhost" || /\.(localhost|local|internal)$/.test(host) || !host.includes(".")) {
    return "must name a public host";
  }
  return null;
}
