import type { Id } from "../../convex/_generated/dataModel";
import { bucketTotals } from "../../convex/ml/buckets";
import { customerStatsKind, terminalStatsKind } from "../../convex/ml/statistics";
import type { StoredFraudResult } from "../../convex/model/payments/validators";
import type { LocalBackend } from "../local/backend";
import { progressBar } from "../replay/progress";

/** A payment of stored history: its customer (index into the bench's users) and terminal. */
export type StoredRow = {
  customer: number;
  terminal: string;
  timestamp: number;
  amount: number;
  fraud: boolean;
};

/** A payment whose fraud result is not the point: stored history only. */
export const storedResult: StoredFraudResult = {
  score: 0,
  probability: 0,
  decision: "allow",
  reasons: [],
  attributionMethod: "bench",
  models: { logistic: { probability: 0 }, neural: { probability: 0 } },
  features: {},
  modelVersion: "bench",
  scoredAt: 0,
  latencyMs: 0,
};

const CHUNK = 5_000;
let storedCount = 0;

function groupBy<K>(rows: readonly StoredRow[], key: (r: StoredRow) => K): Map<K, StoredRow[]> {
  const out = new Map<K, StoredRow[]>();
  for (const row of rows) {
    const list = out.get(key(row));
    if (list) list.push(row);
    else out.set(key(row), [row]);
  }
  return out;
}

/**
 * Loads rows as the write path and the folder leave them once idle: scored payments, one folded
 * history row per payment and side, and the buckets counting them (`bucketTotals`, the
 * folder's own arithmetic), 5,000 documents per transaction. With `payments: false` only the
 * history is stored (what scoring reads), which is what a dense terminal's bench needs.
 */
export async function store(
  backend: LocalBackend,
  users: Id<"users">[],
  rows: StoredRow[],
  label: string,
  { payments = true }: { payments?: boolean } = {},
): Promise<void> {
  const bar = progressBar(label, rows.length);
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    await backend.t.run(async (ctx) => {
      for (const row of chunk) {
        const paymentId = `pay_s${String(storedCount++).padStart(19, "0")}`;
        const common = {
          timestamp: row.timestamp,
          amount: row.amount,
          paymentId,
          receivedAt: 0,
          folded: true,
        };
        const customer = await ctx.db.insert("historyRows", {
          ...common,
          side: "customer",
          key: users[row.customer],
          fraud: false,
        });
        const terminal = await ctx.db.insert("historyRows", {
          ...common,
          side: "terminal",
          key: row.terminal,
          fraud: row.fraud,
        });
        if (!payments) continue;
        await ctx.db.insert("transactions", {
          paymentId,
          userId: users[row.customer],
          amount: row.amount,
          currency: "USD",
          terminalId: row.terminal,
          timestamp: row.timestamp,
          receivedAt: 0,
          ...(row.fraud ? { label: "fraud" as const } : {}),
          status: "scored",
          fraud: storedResult,
          historyRows: { customer, terminal },
        });
      }
    });
    bar.update(Math.min(rows.length, start + CHUNK));
  }
  bar.done();
  // Stored histories of different cohorts never share a bucket, so each is inserted once.
  const buckets: (() => Promise<unknown>)[] = [];
  const customerBuckets = [...groupBy(rows, (r) => r.customer)].flatMap(([customer, list]) =>
    [...bucketTotals(customerStatsKind, list).values()].map((b) => ({
      userId: users[customer],
      ...b,
    })),
  );
  const terminalBuckets = [...groupBy(rows, (r) => r.terminal)].flatMap(([terminalId, list]) =>
    [...bucketTotals(terminalStatsKind, list).values()].map((b) => ({ terminalId, ...b })),
  );
  for (let start = 0; start < customerBuckets.length; start += CHUNK) {
    const slice = customerBuckets.slice(start, start + CHUNK);
    buckets.push(() =>
      backend.t.run(async (ctx) => {
        for (const b of slice) await ctx.db.insert("customerBuckets", b);
      }),
    );
  }
  for (let start = 0; start < terminalBuckets.length; start += CHUNK) {
    const slice = terminalBuckets.slice(start, start + CHUNK);
    buckets.push(() =>
      backend.t.run(async (ctx) => {
        for (const b of slice) await ctx.db.insert("terminalBuckets", b);
      }),
    );
  }
  for (const write of buckets) await write();
}
