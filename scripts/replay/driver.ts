import type { TransactionTable } from "../ml/csv";
import type { ReplayEvent } from "./events";

/** The REST API, reached in-process (`t.fetch`) or over the network. */
export type ApiClient = {
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: unknown; headers: Headers }>;
};

/** An `ApiClient` over any fetch-like function and a base URL ending in `/api/v1`. */
export function apiClient(
  fetchImpl: (url: string, init: RequestInit) => Promise<Response>,
  baseUrl: string,
  apiKey: string,
): ApiClient {
  return {
    async request(method, path, body, headers = {}) {
      const response = await fetchImpl(`${baseUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: text ? (JSON.parse(text) as unknown) : null,
      };
    },
  };
}

export type ReplayStats = {
  requests: number;
  /** Answers by status class, e.g. `{"2xx": 1000, "4xx": 0}`. */
  statuses: Record<string, number>;
  /** Requests sent again after a 429 or a network error. */
  retries: number;
};

export type ReplayOptions = {
  /** Requests in flight at once. */
  concurrency: number;
  /** Distinguishes this run's customers and idempotency keys from earlier runs. */
  runId: string;
  /** Users that exist already, by customer index (e.g. from an earlier run on the same data). */
  users?: ReadonlyMap<number, string>;
  /** Called after each payment was accepted (e.g. to step scheduled functions in a test). */
  afterPayment?: (row: number, paymentId: string) => Promise<void>;
  onProgress?: (done: number, total: number) => void;
};

const MAX_ATTEMPTS = 8;

async function send(
  client: ApiClient,
  stats: ReplayStats,
  method: string,
  path: string,
  body: unknown,
  headers?: Record<string, string>,
) {
  for (let attempt = 1; ; attempt++) {
    let response;
    try {
      response = await client.request(method, path, body, headers);
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS) throw error;
      stats.retries += 1;
      await new Promise((r) => setTimeout(r, 50 * attempt));
      continue;
    }
    stats.requests += 1;
    const bucket = `${Math.floor(response.status / 100)}xx`;
    stats.statuses[bucket] = (stats.statuses[bucket] ?? 0) + 1;
    if (response.status === 429 && attempt < MAX_ATTEMPTS) {
      stats.retries += 1;
      const wait = Number(response.headers.get("retry-after") ?? 1);
      await new Promise((r) => setTimeout(r, wait * 1000));
      continue;
    }
    if (response.status >= 300) {
      throw new Error(
        `${method} ${path} answered ${response.status}: ${JSON.stringify(response.body)}`,
      );
    }
    return response.body;
  }
}

/**
 * Replays a dataset through the REST API: creates one user per customer, posts every
 * payment with its original timestamp (idempotently, so retries are safe) and sends each
 * label event as feedback. Labels wait for their payment's answer. Returns the public id
 * of every posted row.
 */
export async function replay(
  client: ApiClient,
  table: TransactionTable,
  events: ReplayEvent[],
  options: ReplayOptions,
): Promise<{ paymentIds: Map<number, string>; stats: ReplayStats }> {
  const stats: ReplayStats = { requests: 0, statuses: {}, retries: 0 };
  const users = new Map<number, Promise<string>>(
    [...(options.users ?? [])].map(([customer, id]) => [customer, Promise.resolve(id)]),
  );
  const userFor = (customer: number) => {
    let user = users.get(customer);
    if (!user) {
      const externalId = table.customerIds[customer];
      user = send(client, stats, "POST", "/users", {
        name: `Customer ${externalId}`,
        email: `customer-${externalId}@${options.runId}.replay.example`,
        externalId: `${options.runId}:${externalId}`,
      }).then((body) => (body as { user: { id: string } }).user.id);
      users.set(customer, user);
    }
    return user;
  };

  const payments = new Map<number, Promise<string>>();
  const paymentIds = new Map<number, string>();
  const handle = async (event: ReplayEvent) => {
    const row = event.row;
    if (event.kind === "payment") {
      const posted = (async () => {
        const userId = await userFor(table.customer[row]);
        const body = await send(
          client,
          stats,
          "POST",
          "/transactions",
          {
            userId,
            amount: table.amount[row],
            terminalId: table.terminalIds[table.terminal[row]],
            timestamp: table.timestampMs[row],
          },
          { "Idempotency-Key": `${options.runId}:${table.transactionId[row]}` },
        );
        const id = (body as { transaction: { id: string } }).transaction.id;
        paymentIds.set(row, id);
        await options.afterPayment?.(row, id);
        return id;
      })();
      payments.set(row, posted);
      await posted;
    } else {
      const id = await payments.get(row);
      if (id === undefined) throw new Error(`label before payment for row ${row}`);
      await send(client, stats, "POST", `/transactions/${id}/feedback`, { label: "fraud" });
    }
  };

  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < events.length) {
      const event = events[next++];
      await handle(event);
      done += 1;
      options.onProgress?.(done, events.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return { paymentIds, stats };
}
