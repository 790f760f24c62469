import fc from "fast-check";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, expect, test } from "vitest";
import { requestPath, serveHttp, type Fetcher } from "./httpBridge";

/** Answers with the path it was asked for, as the app would answer a route. */
const echo: Fetcher & { paths: string[] } = {
  paths: [],
  fetch(path: string) {
    this.paths.push(path);
    return Promise.resolve(Response.json({ path }));
  },
};

const servers: { close(): void }[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

async function serve(fetcher: Fetcher, flush?: () => Promise<void>) {
  const server = await serveHttp(fetcher, 0, { flush });
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

/**
 * Sends one raw request line (what `fetch` cannot send) and returns the status and body. HTTP/1.0,
 * so the answer is not chunked.
 */
function rawRequest(port: number, requestLine: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(`${requestLine}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf("\r\n\r\n") + 4) });
    });
  });
}

test("absolute-form targets reach the app as their path; asterisk and authority forms get a 4xx envelope", async () => {
  const port = await serve(echo);
  const absolute = await rawRequest(port, "GET http://example.com/api/v1/health?x=1 HTTP/1.0");
  expect(absolute.status).toBe(200);
  expect(JSON.parse(absolute.body)).toEqual({ path: "/api/v1/health?x=1" });
  for (const line of ["OPTIONS * HTTP/1.0", "CONNECT example.com:443 HTTP/1.0"]) {
    const res = await rawRequest(port, line);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: "invalid_request_target" } });
  }
});

test("any request target gets the app's answer or a 4xx envelope, never a 5xx", async () => {
  const port = await serve(echo);
  const target = fc.oneof(
    fc.webUrl({ withQueryParameters: true }),
    fc.webPath().map((p) => (p.startsWith("/") ? p : `/${p}`)),
    fc.constantFrom("*", "example.com:80", "http://", "http://[::1", "//x", "ftp://a/b", "?a"),
    fc.stringMatching(/^[!-~]{1,30}$/),
  );
  await fc.assert(
    fc.asyncProperty(target, async (t) => {
      const res = await rawRequest(port, `GET ${t} HTTP/1.0`);
      // Node's parser refuses some targets itself with a bare 400; the app never sees those.
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(500);
      if (res.status >= 400 && res.body.length > 0) {
        expect(JSON.parse(res.body)).toMatchObject({ error: { code: expect.any(String) } });
      }
      const path = requestPath(t);
      if (path !== null && res.status === 200) expect(JSON.parse(res.body)).toEqual({ path });
    }),
    { numRuns: 300, seed: 20261202 },
  );
});

test("a response leaves only once the commits before it are flushed", async () => {
  let release!: () => void;
  let flushCalled!: () => void;
  const flushing = new Promise<void>((resolve) => (flushCalled = resolve));
  const flush = () => {
    flushCalled();
    return new Promise<void>((resolve) => (release = resolve));
  };
  const port = await serve(echo, flush);
  let answered = false;
  const response = fetch(`http://127.0.0.1:${port}/api/v1/health`).then((r) => {
    answered = true;
    return r.json();
  });
  await flushing;
  // The app has answered and the bridge is waiting on the disk: nothing has been sent.
  await new Promise((resolve) => setImmediate(resolve));
  expect(answered).toBe(false);
  release();
  expect(await response).toEqual({ path: "/api/v1/health" });
});
