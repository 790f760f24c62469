import type { ConvexReactClient } from "convex/react";

const devTokenUrl = import.meta.env.VITE_DEV_TOKEN_URL as string | undefined;
const STORED_TOKEN = "dashboard.token";

/**
 * Signs the client in. In local mode (`VITE_DEV_TOKEN_URL` set by `npm start`) the token comes
 * from the local issuer's `/dev/token?role=analyst`, fetched again whenever the client asks
 * (expiry, reconnect). On a deployment the token is one issued by the provider configured in
 * `convex/auth.config.ts`, pasted on the sign-in bar and kept in this browser.
 */
export function signIn(client: ConvexReactClient): void {
  client.setAuth(fetchToken);
}

async function fetchToken(): Promise<string | null> {
  if (devTokenUrl) {
    try {
      const response = await fetch(`${devTokenUrl}?role=analyst`);
      if (!response.ok) return null;
      return ((await response.json()) as { token: string }).token;
    } catch {
      return null; // The server is restarting: the client asks again when it reconnects.
    }
  }
  return localStorage.getItem(STORED_TOKEN);
}

export const isLocalMode = devTokenUrl !== undefined;

export function storeToken(token: string): void {
  localStorage.setItem(STORED_TOKEN, token);
  location.reload();
}
