import { internal } from "../../convex/_generated/api";
import { committedArtifact } from "../../convex/ml/artifact";
import { modelOutputs } from "../../convex/ml/scorer";
import schema from "../../convex/schema";
import { createLocalEngine, type LocalEngineOptions } from "./engine";
import { startCrons } from "./crons";
import { CONVEX_DIR, modulesIn, preloadModules, registerComponents } from "./modules";

export type LocalBackendOptions = {
  /** Where data is kept; null keeps it in memory only. */
  dataDir: string | null;
  /** Start empty, erasing what `dataDir` holds. */
  fresh?: boolean;
  /** Count the requests and jobs writing each document (`engine.writeStats()`; bench). */
  countWrites?: boolean;
  /** Run `convex/crons.ts` on timers (default true). */
  crons?: boolean;
  log?: (message: string) => void;
};

const modules = modulesIn(CONVEX_DIR);

/** Pool parallelism in local mode when `SCORING_PARALLELISM` / `EXPLANATION_PARALLELISM` are unset. */
export const LOCAL_SCORING_PARALLELISM = 32;
export const LOCAL_EXPLANATION_PARALLELISM = 8;

function appEngine(options: LocalEngineOptions) {
  return createLocalEngine(schema, modules, options);
}

export type AppEngine = ReturnType<typeof appEngine>;

export type LocalBackend = {
  engine: AppEngine;
  t: AppEngine["t"];
  /** Resolves once every commit so far is on disk (group commit; see the engine's README). */
  flush(): Promise<void>;
  /** Stops the crons, lets running scheduled functions finish, flushes and closes the data. */
  close(): Promise<void>;
};

/**
 * The app's Convex functions on the embedded engine, as a deployment would run them:
 * indexed and durable storage, the installed components, crons on timers, scheduled
 * functions on real timers. Shared by `npm start`, `npm run replay` and `npm run bench`.
 */
export async function startLocalBackend(options: LocalBackendOptions): Promise<LocalBackend> {
  const log = options.log ?? ((message: string) => console.warn(message));
  // The pools' defaults fit Convex's Starter plan (8 scheduled functions at once); a local
  // process has no such limit, so it runs more jobs at once unless told otherwise.
  process.env.SCORING_PARALLELISM ||= String(LOCAL_SCORING_PARALLELISM);
  process.env.EXPLANATION_PARALLELISM ||= String(LOCAL_EXPLANATION_PARALLELISM);
  // A developer's webhook receiver runs on this machine; a deployment refuses such URLs.
  process.env.WEBHOOK_ALLOW_LOCALHOST ||= "true";
  const engine = appEngine({
    dataDir: options.dataDir,
    fresh: options.fresh ?? false,
    countWrites: options.countWrites ?? false,
    log,
  });
  await registerComponents(engine.t);
  // Jobs a previous process left pending (the pools' loops, scorings, explanations) run again
  // now, not when a cron next notices them.
  const resumed = await engine.resumeScheduledFunctions();
  if (resumed > 0) log(`local backend: resumed ${resumed} scheduled functions left pending`);
  // A deployment loads modules and the network on first use; a long-lived local server
  // does it up front, so the first payment is not the one that pays for it.
  await preloadModules(modules);
  await modelOutputs(committedArtifact, new Float64Array(committedArtifact.features.length));
  const stopCrons = options.crons === false ? () => undefined : await startCrons(engine.t, log);
  // Data written by older code is brought up to date (resumable; done ones are skipped).
  await engine.t.mutation(internal.migrations.runAll, {});
  return {
    engine,
    t: engine.t,
    flush: () => engine.flush(),
    async close() {
      stopCrons();
      await engine.t.finishInProgressScheduledFunctions();
      await engine.close();
    },
  };
}
