/**
 * The client API of a Convex deployment, served by local mode: the WebSocket sync endpoint
 * `/api/<client version>/sync` (what `ConvexClient` and `ConvexReactClient` connect to) and the
 * HTTP endpoints `/api/query`, `/api/mutation`, `/api/action` (`ConvexHttpClient`,
 * `fetchQuery`), on one port (`CLIENT_PORT`, default 3210). Only public functions are callable.
 *
 *   const sync = await startSyncServer(backend, { port: 3210 });
 *   // new ConvexClient(sync.url) ... ; await sync.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { CONVEX_DIR, modulesIn, type ModuleMap } from "../modules";
import { PublicFunctions, type FunctionKind } from "./functions";
import { QueryHub, type ClientApiBackend, type Identity } from "./queries";
import { MutationMemory, SyncSession, type TokenVerifier } from "./session";

export type { ClientApiBackend, Identity } from "./queries";
export type { TokenVerifier } from "./session";

export const DEFAULT_CLIENT_PORT = 3210;
/** Status a deployment answers a failed function call with (the HTTP client reads the body). */
const STATUS_UDF_FAILED = 560;
const MAX_BODY = 8 * 1024 * 1024;

export interface SyncServerOptions {
  port?: number;
  host?: string;
  /** The function modules (default: the app's `convex/`). */
  modules?: ModuleMap;
  /** Verifies user JWTs (default: every token is refused; `startLocalAuth` gives the real one). */
  verifyToken?: TokenVerifier;
  /** How often each socket gets a `Ping` (the client reconnects after 60 s of silence). */
  pingIntervalMs?: number;
  /**
   * Share of the engine's time re-runs for subscribers may take before they are spaced out
   * (default 0.05; 1: never). See `QueryHub`.
   */
  rerunBudget?: number;
  /** How many mutation outcomes are kept for re-sent mutations (oldest dropped first). */
  mutationMemory?: number;
  /** Extra HTTP routes tried before the client API (return true when answered). */
  routes?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  log?: (message: string) => void;
}

export interface SyncServer {
  /** The deployment URL to give the client (`http://127.0.0.1:3210`). */
  url: string;
  port: number;
  stats(): { sessions: number; subscriptions: number; queries: number; executions: number };
  /** Cuts every client connection (they reconnect); for tests. */
  dropConnections(): void;
  close(): Promise<void>;
}

const refuseTokens: TokenVerifier = () =>
  Promise.reject(new Error("no auth provider is configured"));

export async function startSyncServer(
  backend: ClientApiBackend,
  options: SyncServerOptions = {},
): Promise<SyncServer> {
  const log = options.log ?? ((message: string) => console.warn(message));
  const verifyToken = options.verifyToken ?? refuseTokens;
  const functions = new PublicFunctions(options.modules ?? modulesIn(CONVEX_DIR));
  const hub = new QueryHub(backend, functions, options.rerunBudget);
  const mutations = new MutationMemory(options.mutationMemory ?? 10_000);
  const sessions = new Set<SyncSession>();
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });

  wss.on("connection", (ws: WebSocket) => {
    sockets.add(ws);
    const session = new SyncSession(
      ws,
      hub,
      mutations,
      verifyToken,
      options.pingIntervalMs ?? 10_000,
      log,
    );
    sessions.add(session);
    ws.on("close", () => {
      sockets.delete(ws);
      sessions.delete(session);
    });
  });

  const server: Server = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      log(`client API: request failed: ${String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { code: "InternalError", message: String(error) });
      else res.destroy();
    });
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? "").split("?")[0];
    if (!/^\/api\/[^/]+\/sync$/.test(path)) {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse) {
    setCors(res);
    if (req.method === "OPTIONS") {
      res.writeHead(204);
      res.end();
      return;
    }
    if (options.routes && (await options.routes(req, res))) return;
    const path = (req.url ?? "").split("?")[0];
    const kind = (
      { "/api/query": "query", "/api/mutation": "mutation", "/api/action": "action" } as const
    )[path as "/api/query"] as FunctionKind | undefined;
    if (kind === undefined || req.method !== "POST") {
      sendJson(res, 404, { code: "NotFound", message: `No client endpoint ${req.method} ${path}` });
      return;
    }
    let identity: Identity | null = null;
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const token = /^Bearer (.+)$/.exec(authorization)?.[1];
      if (token === undefined) {
        sendJson(res, 401, { code: "Unauthenticated", message: "Expected `Bearer <token>`." });
        return;
      }
      try {
        identity = await verifyToken(token);
      } catch (error) {
        sendJson(res, 401, {
          code: "Unauthenticated",
          message: `Could not verify the token: ${(error as Error).message}`,
        });
        return;
      }
    }
    let body: { path?: unknown; args?: unknown };
    try {
      body = JSON.parse((await readBody(req)).toString("utf8")) as typeof body;
    } catch {
      sendJson(res, 400, { code: "BadJsonBody", message: "The body must be JSON." });
      return;
    }
    if (typeof body.path !== "string") {
      sendJson(res, 400, { code: "BadRequest", message: "`path` must be a string." });
      return;
    }
    const outcome = await hub.call(kind, body.path, body.args ?? {}, identity);
    if (outcome.success) {
      sendJson(res, 200, { status: "success", value: outcome.value, logLines: [] });
    } else {
      sendJson(res, STATUS_UDF_FAILED, {
        status: "error",
        errorMessage: outcome.errorMessage,
        errorData: outcome.errorData,
        logLines: [],
      });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_CLIENT_PORT, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const host = options.host ?? "127.0.0.1";

  return {
    url: `http://${host}:${port}`,
    port,
    stats: () => {
      let subscriptions = 0;
      for (const s of sessions) subscriptions += s.subscriptions;
      return {
        sessions: sessions.size,
        subscriptions,
        queries: hub.instances,
        executions: hub.executions,
      };
    },
    dropConnections: () => {
      for (const ws of sockets) ws.terminate();
    },
    close: async () => {
      hub.close();
      for (const ws of sockets) ws.terminate();
      for (const s of sessions) s.close();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function setCors(res: ServerResponse) {
  // The client API is called from web apps on other origins (the dashboard's dev server).
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.setHeader("Access-Control-Allow-Headers", "Content-Type, Authorization, Convex-Client");
  res.setHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
