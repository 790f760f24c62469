import { makeFunctionReference } from "convex/server";
import { jsonToConvex, type JSONValue } from "convex/values";
import crons from "../../convex/crons";
import { cronSpecs } from "./engine/adapter";

type Runner = {
  mutation(
    ref: ReturnType<typeof makeFunctionReference<"mutation">>,
    args: never,
  ): Promise<unknown>;
  action(ref: ReturnType<typeof makeFunctionReference<"action">>, args: never): Promise<unknown>;
};

/** Loads a function's registration to learn whether it is a mutation or an action. */
async function kindOf(functionName: string): Promise<"mutation" | "action"> {
  const [modulePath, exportName = "default"] = functionName.split(":");
  const module = (await import(`../../convex/${modulePath}`)) as Record<
    string,
    { isMutation?: boolean; isAction?: boolean }
  >;
  const fn = module[exportName];
  if (fn?.isMutation) return "mutation";
  if (fn?.isAction) return "action";
  throw new Error(`cron target ${functionName} is neither a mutation nor an action`);
}

/**
 * Runs `convex/crons.ts` in local mode, where convex-test has no cron scheduler: each
 * interval job on a timer of its own period. Returns a function that stops them.
 */
export async function startCrons(t: Runner, log: (message: string) => void): Promise<() => void> {
  const timers: NodeJS.Timeout[] = [];
  const jobs = cronSpecs(crons);
  for (const [id, job] of Object.entries(jobs)) {
    const { type, seconds = 0, minutes = 0, hours = 0 } = job.schedule;
    if (type !== "interval") {
      log(`cron "${id}": only interval schedules run in local mode; skipped`);
      continue;
    }
    const periodMs = ((hours * 60 + minutes) * 60 + seconds) * 1000;
    const kind = await kindOf(job.name);
    const args = jsonToConvex(job.args[0] as JSONValue) as never;
    let running = false;
    timers.push(
      setInterval(() => {
        if (running) return; // like Convex, never overlap a job with itself
        running = true;
        const run =
          kind === "mutation"
            ? t.mutation(makeFunctionReference<"mutation">(job.name), args)
            : t.action(makeFunctionReference<"action">(job.name), args);
        run
          .catch((error: unknown) => log(`cron "${id}" failed: ${String(error)}`))
          .finally(() => (running = false));
      }, periodMs),
    );
  }
  return () => timers.forEach(clearInterval);
}
