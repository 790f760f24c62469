import { defineBatchWorkerValidators, ping } from "@convex-dev/batch-worker";
import { v } from "convex/values";
import { components, internal } from "../../_generated/api";
import { internalMutation, internalQuery, type MutationCtx } from "../../_generated/server";
import { bucketTotals } from "../../ml/buckets";
import { customerSide, terminalSide, type HistoryRow, type HistorySide } from "./sides";

/**
 * The folder: one serial worker (a `@convex-dev/batch-worker` loop, the `historyFolder`
 * component) that adds unfolded history rows to the buckets, up to {@link FOLD_BATCH} rows per
 * transaction, oldest first. Requests only insert rows and ping it; a ping is a no-op while the
 * loop runs. Reads are exact whatever its lag: they add the unfolded rows themselves
 * (`windowStats.ts`), and a row is folded and marked so in the same transaction.
 */

/** Rows folded per transaction: each touches one bucket per level, shared by rows alike. */
const FOLD_BATCH = 128;

const validators = defineBatchWorkerValidators({
  batch: { rows: v.array(v.id("historyRows")) },
});

/** Wakes the folder (cheap; a no-op while it is running). */
export async function pingFolder(ctx: MutationCtx): Promise<void> {
  await ping(ctx, components.historyFolder, {
    name: "history",
    workQuery: internal.model.history.folder.nextBatch,
    workerMutation: internal.model.history.folder.fold,
  });
}

/** The folder's work query: the oldest unfolded rows, or idle. */
export const nextBatch = internalQuery({
  args: validators.vQueryArgs,
  returns: validators.vQueryReturns,
  handler: async (ctx) => {
    const rows = await ctx.db
      .query("historyRows")
      .withIndex("by_folded", (q) => q.eq("folded", false))
      .take(FOLD_BATCH);
    if (rows.length === 0) return { kind: "idle" as const, cooldownMs: 1_000, pollIntervalMs: 50 };
    return { batch: { rows: rows.map((r) => r._id) } };
  },
});

/** Adds one side's rows to its buckets: one read and one write per bucket they share. */
async function foldSide<S, Row extends { timestamp: number }, K extends string>(
  ctx: MutationCtx,
  side: HistorySide<S, Row, K>,
  rows: readonly HistoryRow[],
) {
  const byKey = new Map<string, Row[]>();
  for (const row of rows) byKey.set(row.key, [...(byKey.get(row.key) ?? []), side.row(row)]);
  for (const [key, keyRows] of byKey) {
    for (const { level, start, stats } of bucketTotals(side.kind, keyRows).values()) {
      const existing = await side.bucket(ctx, key as K, level, start);
      const total = existing ? side.kind.merge(existing.stats, stats) : stats;
      await side.writeBucket(ctx, key as K, level, start, existing, total);
    }
  }
}

/** The folder's worker mutation: folds a batch of rows (those gone or folded meanwhile skipped). */
export const fold = internalMutation({
  args: validators.vMutationArgs,
  returns: validators.vMutationReturns,
  handler: async (ctx, { rows: ids }) => {
    const rows: HistoryRow[] = [];
    for (const id of ids) {
      const row = await ctx.db.get("historyRows", id);
      if (row && !row.folded) rows.push(row);
    }
    await foldSide(
      ctx,
      customerSide,
      rows.filter((r) => r.side === "customer"),
    );
    await foldSide(
      ctx,
      terminalSide,
      rows.filter((r) => r.side === "terminal"),
    );
    for (const row of rows) await ctx.db.patch("historyRows", row._id, { folded: true });
    return null;
  },
});
