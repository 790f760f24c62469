import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

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
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(JSON.stringify({ error: { code, message } }));
}

async function forward(backend: Fetcher, req: IncomingMessage, res: ServerResponse) {
  const method = req.method ?? "GET";
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
  const response = await backend.fetch(req.url ?? "/", {
    method,
    headers,
    body: body && body.length > 0 ? new Uint8Array(body) : undefined,
  });
  const out = Buffer.from(await response.arrayBuffer());
  const outHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    outHeaders[name] = value;
  });
  res.writeHead(response.status, outHeaders);
  res.end(out);
}

/**
 * Serves the Convex HTTP router over real HTTP: each request is handed to the
 * embedded backend exactly as the Convex HTTP gateway would hand it to `convex/http.ts`.
 */
export function serveHttp(backend: Fetcher, port: number, host = "127.0.0.1"): Promise<Server> {
  const server = createServer((req, res) => {
    forward(backend, req, res).catch((error: unknown) => {
      console.error("local server: request failed", error);
      if (!res.headersSent)
        sendJsonError(res, 500, "internal_error", "Something went wrong on our side.");
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
