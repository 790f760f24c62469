import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { errorBody } from "../../convex/rest/errors";
import { RESPONSE_HEADERS } from "../../convex/rest/constants";

/** Anything that answers fetch-style requests for a path, like convex-test's `t.fetch`. */
export type Fetcher = { fetch(path: string, init?: RequestInit): Promise<Response> };

/** Bodies larger than this are refused before reaching the app (which itself allows 64 KiB). */
const MAX_FORWARDED_BODY = 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_FORWARDED_BODY) return null;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function sendJsonError(res: ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...RESPONSE_HEADERS });
  res.end(JSON.stringify(errorBody(code, message)));
}

/**
 * The path and query a request names. Origin-form (`/api/v1/health`) is the usual case;
 * absolute-form (`http://host/api/v1/health`, which proxies send and servers must accept) is
 * reduced to it; anything else (asterisk-form `OPTIONS *`, authority-form) names no resource.
 */
export function requestPath(target: string): string | null {
  if (target.startsWith("/")) return target;
  if (!/^https?:\/\//i.test(target)) return null;
  try {
    const url = new URL(target);
    return `${url.pathname}${url.search}`;
  } catch {
    return null;
  }
}

export type ServeOptions = {
  host?: string;
  /**
   * Resolves once every commit so far is on disk. Each response waits for it, so a 2xx is
   * never sent for a write a crash could still lose; concurrent requests share one fdatasync.
   */
  flush?: () => Promise<void>;
};

async function forward(
  backend: Fetcher,
  req: IncomingMessage,
  res: ServerResponse,
  flush: () => Promise<void>,
) {
  const method = req.method ?? "GET";
  const path = requestPath(req.url ?? "/");
  if (path === null) {
    sendJsonError(res, 400, "invalid_request_target", "The request target must be a path.");
    return;
  }
  const body = method === "GET" || method === "HEAD" ? undefined : await readBody(req);
  if (body === null) {
    sendJsonError(res, 413, "payload_too_large", "The body must be at most 64 KiB.");
    return;
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const response = await backend.fetch(path, {
    method,
    headers,
    body: body && body.length > 0 ? new Uint8Array(body) : undefined,
  });
  const out = Buffer.from(await response.arrayBuffer());
  await flush();
  const outHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    outHeaders[name] = value;
  });
  res.writeHead(response.status, outHeaders);
  res.end(out);
}

/**
 * Serves the Convex HTTP router over real HTTP: each request is handed to the
 * embedded backend exactly as the Convex HTTP gateway would hand it to `convex/http.ts`, and
 * its answer leaves once what it committed is durable (`flush`).
 */
export function serveHttp(
  backend: Fetcher,
  port: number,
  { host = "127.0.0.1", flush = () => Promise.resolve() }: ServeOptions = {},
): Promise<Server> {
  const server = createServer((req, res) => {
    forward(backend, req, res, flush).catch((error: unknown) => {
      console.error("local server: request failed", error);
      if (!res.headersSent)
        sendJsonError(res, 500, "internal_error", "Something went wrong on our side.");
      else res.destroy();
    });
  });
  // CONNECT (authority-form) is a proxy's method: Node hands it over as a raw socket.
  server.on("connect", (_req: IncomingMessage, socket: Duplex) => {
    const body = JSON.stringify(errorBody("invalid_request_target", "This is not a proxy."));
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
