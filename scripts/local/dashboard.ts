/**
 * Serves the dashboard (`dashboard/`) from `npm start` through Vite's dev server: no build step
 * beyond `npm install`. The app is pointed at the local client API and signs in with the local
 * issuer's `/dev/token` (the same `VITE_*` variables `npm run dashboard:build` reads).
 */
import path from "node:path";
import { createServer, type ViteDevServer } from "vite";

export type Dashboard = { url: string; close: () => Promise<void> };

/** Starts the dashboard on 127.0.0.1:`port`, talking to `clientUrl` (and `httpUrl`'s dev token). */
export async function startDashboard(options: {
  port: number;
  clientUrl: string;
  /** The HTTP port's URL, when local mode is its own issuer (`/dev/token`). */
  devTokenBase: string | null;
}): Promise<Dashboard> {
  const root = path.resolve(import.meta.dirname, "../../dashboard");
  // Vite exposes the process's `VITE_*` variables to the app as `import.meta.env`.
  process.env.VITE_CONVEX_URL = options.clientUrl;
  if (options.devTokenBase !== null) {
    process.env.VITE_DEV_TOKEN_URL = `${options.devTokenBase}/dev/token`;
  }
  const server: ViteDevServer = await createServer({
    configFile: path.join(root, "vite.config.ts"),
    root,
    logLevel: "warn",
    clearScreen: false,
    // No HMR socket: its client reloads the page when the server restarts, and an open page
    // must instead keep its state while the Convex client reconnects.
    server: { host: "127.0.0.1", port: options.port, strictPort: true, hmr: false, ws: false },
  });
  await server.listen();
  return { url: `http://127.0.0.1:${options.port}/`, close: () => server.close() };
}
