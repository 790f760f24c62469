import type { ApiClient } from "./driver";

/** What the replay needs to know about each payment once the system has decided it. */
export type Outcome = {
  id: string;
  status: "pending" | "scored" | "failed";
  probability: number | null;
  decision: "allow" | "review" | "block" | null;
  latencyMs: number | null;
  modelVersion: string | null;
  timestamp: number;
};

type PaymentView = {
  id: string;
  status: Outcome["status"];
  timestamp: number;
  fraud: {
    probability: number;
    decision: Outcome["decision"];
    latencyMs: number;
    modelVersion: string;
  } | null;
};

type Page = { data: PaymentView[]; nextCursor: string | null };

/** Counts payments in a status (one page at a time; stops counting at `cap`). */
export async function countStatus(
  client: ApiClient,
  status: "pending" | "failed",
  cap = 1_000_000,
): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${cursor}` : "";
    const res = await client.request("GET", `/transactions?status=${status}&limit=200${query}`);
    const page = res.body as Page;
    count += page.data.length;
    cursor = page.nextCursor;
  } while (cursor !== null && count < cap);
  return count;
}

/** Waits until no payment is pending (or the timeout passes); returns how many still are. */
export async function waitForDecisions(
  client: ApiClient,
  timeoutMs: number,
  onWait?: (pending: number) => void,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await countStatus(client, "pending", 10_000);
    if (pending === 0 || Date.now() > deadline) return pending;
    onWait?.(pending);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Reads the outcome of the given payments by paging through the list endpoint. */
export async function collectOutcomes(
  client: ApiClient,
  ids: ReadonlySet<string>,
  onPage?: (seen: number) => void,
): Promise<Map<string, Outcome>> {
  const out = new Map<string, Outcome>();
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${cursor}` : "";
    const res = await client.request("GET", `/transactions?limit=200${query}`);
    const page = res.body as Page;
    for (const p of page.data) {
      if (!ids.has(p.id)) continue;
      out.set(p.id, {
        id: p.id,
        status: p.status,
        timestamp: p.timestamp,
        probability: p.fraud?.probability ?? null,
        decision: p.fraud?.decision ?? null,
        latencyMs: p.fraud?.latencyMs ?? null,
        modelVersion: p.fraud?.modelVersion ?? null,
      });
    }
    cursor = page.nextCursor;
    onPage?.(out.size);
  } while (cursor !== null && out.size < ids.size);
  return out;
}

/** The p-th percentile (nearest rank) of values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** p50, p95, p99 and max of latencies sorted ascending (NaN when there are none). */
export function latencySummary(sorted: readonly number[]) {
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}
