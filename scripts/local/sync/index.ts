/**
 * Local mode's client API, as `npm start` runs it: the Convex sync protocol and the HTTP client
 * endpoints on `CLIENT_PORT` (default 3210), auth per `convex/auth.config.ts` (local mode is its
 * own issuer when `AUTH_ISSUER` is unset: JWKS and `/dev/token` on the HTTP port).
 *
 *   const clientApi = await startClientApi(backend, { httpServer, httpUrl, dataDir });
 *   ...
 *   await clientApi.close();
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { startLocalAuth, type LocalAuth } from "./auth";
import {
  DEFAULT_CLIENT_PORT,
  startSyncServer,
  type ClientApiBackend,
  type SyncServer,
} from "./server";

export { startSyncServer, DEFAULT_CLIENT_PORT } from "./server";
export type { SyncServer, SyncServerOptions, ClientApiBackend } from "./server";

export interface ClientApi {
  sync: SyncServer;
  auth: LocalAuth;
  /** The URL for `new ConvexReactClient(url)` / `new ConvexClient(url)`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the client API next to the HTTP server of `npm start`. `httpServer` (the HTTP port,
 * reachable at `httpUrl`) also answers the local issuer's `/.well-known/jwks.json` and
 * `/dev/token`, ahead of the app's HTTP router.
 */
export async function startClientApi(
  backend: ClientApiBackend,
  options: { httpServer: Server; httpUrl: string; dataDir: string | null; port?: number },
): Promise<ClientApi> {
  const auth = await startLocalAuth({ httpUrl: options.httpUrl, dataDir: options.dataDir });
  routeFirst(options.httpServer, auth.routes);
  const sync = await startSyncServer(backend, {
    port: options.port ?? clientPort(),
    verifyToken: auth.verifyToken,
    routes: auth.routes,
  });
  return { sync, auth, url: sync.url, close: () => sync.close() };
}

/**
 * `CLIENT_PORT`, else the port below `PORT` (as a local Convex deployment: client API on 3210,
 * HTTP actions on 3211), else 3210.
 */
export function clientPort(env: NodeJS.ProcessEnv = process.env): number {
  if (env.CLIENT_PORT) return Number(env.CLIENT_PORT);
  return env.PORT ? Number(env.PORT) - 1 : DEFAULT_CLIENT_PORT;
}

/** Puts `routes` in front of a server's request handlers (they run when it declines). */
function routeFirst(
  server: Server,
  routes: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>,
): void {
  const handlers = server.listeners("request") as Array<
    (req: IncomingMessage, res: ServerResponse) => void
  >;
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    routes(req, res).then(
      (answered) => {
        if (!answered) for (const handler of handlers) handler.call(server, req, res);
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
}
