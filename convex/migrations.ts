import { Migrations } from "@convex-dev/migrations";
import { components, internal } from "./_generated/api";
import { internalMutation } from "./_generated/server";
import { recordInHistory } from "./model/history/aggregates";

/**
 * Online migrations of stored data (the `@convex-dev/migrations` component): resumable, in
 * bounded batches, each batch one transaction. Run them after deploying the code that defines
 * them: `npx convex run migrations:runAll` (or one: `npx convex run migrations:run
 * '{fn: "migrations:dropRetryFields"}'`). `npm start` runs `runAll` at start.
 */
export const migrations = new Migrations(components.migrations, {
  internalMutation,
  /** Documents per batch (one transaction each): payments are up to ~3 kB. */
  defaultBatchSize: 200,
});

/** Removes the fields of the hand-built scoring retries (`attempts`, `retryAt`), now the pools'. */
export const dropRetryFields = migrations.define({
  table: "tempTransactions",
  migrateOne: (_ctx, doc) =>
    doc.attempts !== undefined || doc.retryAt !== undefined
      ? { attempts: undefined, retryAt: undefined }
      : undefined,
});

/** Removes the stored risk `level`, which the API now derives from the decision. */
export const dropStoredLevel = migrations.define({
  table: "transactions",
  migrateOne: (_ctx, doc) => {
    if (doc.fraud.level === undefined) return undefined;
    const { level: _level, ...fraud } = doc.fraud;
    return { fraud };
  },
});

/**
 * Builds the history (`historyRows`, folded into the buckets by the folder) from payments that
 * older code stored without it. Idempotent per payment: one that has its rows is left alone.
 */
export const buildHistoryRowsStaged = migrations.define({
  table: "tempTransactions",
  migrateOne: async (ctx, doc) =>
    doc.historyRows === undefined ? { historyRows: await recordInHistory(ctx, doc) } : undefined,
});

/** As {@link buildHistoryRowsStaged}, for scored payments. */
export const buildHistoryRowsScored = migrations.define({
  table: "transactions",
  migrateOne: async (ctx, doc) =>
    doc.historyRows === undefined ? { historyRows: await recordInHistory(ctx, doc) } : undefined,
});

/** Empties the day aggregates older code kept (replaced by the buckets). */
export const dropCustomerDays = migrations.define({
  table: "customerDays",
  migrateOne: async (ctx, doc) => await ctx.db.delete("customerDays", doc._id),
});

/** As {@link dropCustomerDays}, for terminals. */
export const dropTerminalDays = migrations.define({
  table: "terminalDays",
  migrateOne: async (ctx, doc) => await ctx.db.delete("terminalDays", doc._id),
});

/** Runs one migration by name, e.g. `{fn: "migrations:dropStoredLevel"}`. */
export const run = migrations.runner();

/** Every migration, in order; those already done are skipped. */
export const runAll = migrations.runner([
  internal.migrations.dropRetryFields,
  internal.migrations.dropStoredLevel,
  internal.migrations.buildHistoryRowsStaged,
  internal.migrations.buildHistoryRowsScored,
  internal.migrations.dropCustomerDays,
  internal.migrations.dropTerminalDays,
]);
