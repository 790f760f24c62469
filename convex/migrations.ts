import { Migrations } from "@convex-dev/migrations";
import { components, internal } from "./_generated/api";
import { internalMutation } from "./_generated/server";

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

/** Runs one migration by name, e.g. `{fn: "migrations:dropStoredLevel"}`. */
export const run = migrations.runner();

/** Every migration, in order; those already done are skipped. */
export const runAll = migrations.runner([
  internal.migrations.dropRetryFields,
  internal.migrations.dropStoredLevel,
]);
