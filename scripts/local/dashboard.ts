/**
 * Serves the dashboard (`dashboard/`) from `npm start` through Vite's dev server: no build step
 * beyond `npm install`. The app is pointed at the local client API and signs in with the local
 * issuer's `/dev/token` (the same `VITE_*` variables `npm run dashboard:build` reads).
 */
import path from "node:path";
import { createServer } from "vite";

/**
 * `DASHBOARD_PORT`, else the port above `PORT` (3212 next to 3211, as the client API takes the
 * one below), so that servers started on distinct `PORT`s never collide; `0` serves none.
 */
export function dashboardPort(env: NodeJS.ProcessEnv, httpPort: number): number | null {
  if (env.DASHBOARD_PORT === undefined || env.DASHBOARD_PORT === "") return httpPort + 1;
  const port = Number(env.DASHBOARD_PORT);
  return port === 0 ? null : port;
}

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
  // Vite's server exits the process on SIGTERM (and on stdin's end); `npm start` stops on its
  // own (`stopOnSignals`: data flushed first, then this server closed), so those listeners go.
  const sigterm = process.listeners("SIGTERM");
  const stdinEnd = process.stdin.listeners("end");
  const server = await createServer({
    configFile: path.join(root, "vite.config.ts"),
    root,
    logLevel: "warn",
    clearScreen: false,
    // No HMR socket: its client reloads the page when the server restarts, and an open page
    // must instead keep its state while the Convex client reconnects.
    server: { host: "127.0.0.1", port: options.port, strictPort: true, hmr: false, ws: false },
  });
  for (const listener of process.listeners("SIGTERM")) {
    if (!sigterm.includes(listener)) process.off("SIGTERM", listener);
  }
  for (const listener of process.stdin.listeners("end")) {
    if (!stdinEnd.includes(listener)) process.stdin.off("end", listener as () => void);
  }
  await server.listen();
  return { url: `http://127.0.0.1:${options.port}/`, close: () => server.close() };
}
