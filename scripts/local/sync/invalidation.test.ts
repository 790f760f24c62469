/**
 * Invalidation by read sets, differentially: a random workload of writes (inserts, patches that
 * move documents between index ranges, deletes, several writes in one transaction) and of
 * subscriptions (get, index ranges asc/desc with take, first, paginate pages 1 and 2, a filtered
 * scan), and after every commit, once the touched subscriptions have run again, every
 * subscribed result must equal a fresh run of its query (a page with the same journal).
 * Subscriptions the commit did not touch keep their result without running.
 */
import fc from "fast-check";
import { anyApi, type FunctionReference } from "convex/server";
import { convexToJson, type Value } from "convex/values";
import { expect, test } from "vitest";
import { createLocalEngine } from "../engine";
import { schema } from "./fixtures/app";
import { modules } from "./fixtures/modules";
import { PublicFunctions } from "./functions";
import { consistentTs, QueryHub, type QueryInstance } from "./queries";

const api = anyApi;
const OWNERS = ["a", "b", "c"];
const TAGS = ["x", "y", undefined];

type Sub = { udfPath: string; args: Record<string, Value> };

const note = fc.record({
  owner: fc.constantFrom(...OWNERS),
  n: fc.integer({ min: 0, max: 12 }),
  tag: fc.constantFrom(...TAGS),
});

const write = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("insert" as const), note }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant("patch" as const),
      pick: fc.nat(),
      n: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
      owner: fc.option(fc.constantFrom(...OWNERS), { nil: undefined }),
      tag: fc.option(fc.constantFrom(...TAGS), { nil: undefined }),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }), weight: 2 },
);

const subscription: fc.Arbitrary<(ids: string[]) => Sub> = fc.oneof(
  fc.nat().map((pick) => (ids: string[]) => ({
    udfPath: "app:get",
    args: { id: ids.length === 0 ? "1;notes" : ids[pick % ids.length] },
  })),
  fc
    .record({
      min: fc.integer({ min: 0, max: 12 }),
      span: fc.integer({ min: 0, max: 8 }),
      limit: fc.integer({ min: 1, max: 4 }),
      desc: fc.boolean(),
    })
    .map(({ min, span, limit, desc }) => () => ({
      udfPath: "app:range",
      args: { min, max: min + span, limit, desc },
    })),
  fc.constantFrom(...OWNERS).map((owner) => () => ({ udfPath: "app:firstOf", args: { owner } })),
  fc
    .record({ owner: fc.constantFrom(...OWNERS), numItems: fc.integer({ min: 1, max: 3 }) })
    .map(({ owner, numItems }) => () => ({
      udfPath: "app:page",
      args: { owner, paginationOpts: { numItems, cursor: null } },
    })),
  fc.constantFrom("x", "y").map((tag) => () => ({ udfPath: "app:tagged", args: { tag } })),
);

const step = fc.oneof(
  {
    arbitrary: fc.array(write, { minLength: 1, maxLength: 3 }).map((w) => ({ writes: w })),
    weight: 6,
  },
  { arbitrary: subscription.map((s) => ({ subscribe: s })), weight: 1 },
);

async function freshState(
  engine: ReturnType<typeof createLocalEngine<(typeof schema)["tables"]>>,
  instance: QueryInstance,
): Promise<string> {
  const run = await engine.trackReads(
    () =>
      engine.t.query(
        api.app[instance.udfPath.split(":")[1]] as FunctionReference<"query">,
        instance.args[0] as Record<string, Value>,
      ),
    instance.journal,
  );
  return run.ok
    ? JSON.stringify(convexToJson(run.value as Value))
    : `error: ${(run.error as Error).message}`;
}

const stateText = (instance: QueryInstance) => {
  const state = instance.result!.state;
  return state.type === "QueryUpdated"
    ? JSON.stringify(state.value)
    : `error: ${state.errorMessage.replace(/^Uncaught Error: /, "")}`;
};

test("after every commit, every subscribed result equals a fresh run of its query", async () => {
  let executions = 0;
  let possible = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(note, { minLength: 0, maxLength: 12 }),
      fc.array(subscription, { minLength: 1, maxLength: 8 }),
      fc.array(step, { minLength: 1, maxLength: 25 }),
      async (seed, initialSubs, steps) => {
        const engine = createLocalEngine(schema, modules, { dataDir: null, log: () => {} });
        const hub = new QueryHub({ engine, t: engine.t }, new PublicFunctions(modules));
        const subscriber = { invalidated: () => undefined };
        try {
          const ids: string[] = [];
          for (const n of seed) ids.push((await engine.t.mutation(api.app.add, n)) as string);
          const instances: QueryInstance[] = [];
          const subscribe = async (make: (ids: string[]) => Sub) => {
            const { udfPath, args } = make(ids);
            const instance = hub.acquire(subscriber, udfPath, [convexToJson(args)], null, null);
            await hub.refresh(instance);
            instances.push(instance);
            // A second page, right after a first page (its cursor from the first page).
            const state = instance.result!.state;
            if (udfPath === "app:page" && state.type === "QueryUpdated") {
              const cursor = (state.value as { continueCursor: string }).continueCursor;
              const next = { ...args, paginationOpts: { numItems: 2, cursor } };
              const second = hub.acquire(subscriber, udfPath, [convexToJson(next)], null, null);
              await hub.refresh(second);
              instances.push(second);
            }
          };
          for (const s of initialSubs) await subscribe(s);
          for (const s of steps) {
            if ("subscribe" in s) {
              await subscribe(s.subscribe);
              continue;
            }
            await engine.t.run(async (ctx) => {
              for (const w of s.writes) {
                if (w.kind === "insert") {
                  ids.push(await ctx.db.insert("notes", w.note));
                  continue;
                }
                if (ids.length === 0) continue;
                const id = ids[w.pick % ids.length] as never;
                const doc = await ctx.db.get("notes", id);
                if (doc === null) continue;
                if (w.kind === "delete") await ctx.db.delete("notes", id);
                else {
                  const patch: Record<string, unknown> = {};
                  if (w.n !== undefined) patch.n = w.n;
                  if (w.owner !== undefined) patch.owner = w.owner;
                  if (w.tag !== undefined || w.pick % 2 === 0) patch.tag = w.tag;
                  await ctx.db.patch("notes", id, patch);
                }
              }
            });
            possible += instances.length;
            const before = hub.executions;
            for (const instance of instances) {
              if (instance.invalidAt !== null) await hub.refresh(instance);
            }
            executions += hub.executions - before;
            for (const instance of instances) {
              expect(instance.invalidAt).toBeNull();
              expect(
                stateText(instance),
                `${instance.udfPath} ${JSON.stringify(instance.args)}`,
              ).toBe(await freshState(engine, instance));
            }
          }
        } finally {
          hub.close();
          await engine.close();
        }
      },
    ),
    { numRuns: Number(process.env.INVALIDATION_RUNS ?? 60) },
  );
  // Selectivity: most subscriptions are left alone by most commits.
  expect(executions).toBeLessThan(possible * 0.8);
  console.log(`re-ran ${executions} of ${possible} subscription-commits`);
}, 60_000);

test("results are sent at one timestamp only when all of them hold there", async () => {
  const engine = createLocalEngine(schema, modules, { dataDir: null, log: () => {} });
  const hub = new QueryHub({ engine, t: engine.t }, new PublicFunctions(modules));
  const subscriber = { invalidated: () => undefined };
  const pair = () =>
    engine.t.run(async (ctx) => {
      await ctx.db.insert("notes", { owner: "s", n: 1 });
      await ctx.db.insert("runs", { key: "s" });
    });
  try {
    const a = hub.acquire(subscriber, "app:countOf", [{ owner: "s" }], null, null);
    const b = hub.acquire(subscriber, "app:runs", [{ key: "s" }], null, null);
    expect(consistentTs([a, b], engine.lastCommitTs())).toBeNull(); // no results yet
    await hub.refresh(a);
    await hub.refresh(b);
    expect(consistentTs([a, b], engine.lastCommitTs())).toBe(engine.lastCommitTs());
    await pair();
    const first = engine.lastCommitTs();
    // Both are stale as of `first`: the last timestamp they both hold at is just before it.
    expect(consistentTs([a, b], engine.lastCommitTs())).toBe(first - 1n);
    await hub.refresh(a); // a now holds from `first` on, b only before it
    expect(consistentTs([a, b], engine.lastCommitTs())).toBeNull();
    await pair();
    await hub.refresh(b); // b holds from the second commit on, a only before it
    expect(consistentTs([a, b], engine.lastCommitTs())).toBeNull();
    await hub.refresh(a);
    const ts = consistentTs([a, b], engine.lastCommitTs());
    expect(ts).toBe(engine.lastCommitTs());
    expect([stateText(a), stateText(b)]).toEqual(["2", "2"]);
  } finally {
    hub.close();
    await engine.close();
  }
});

test("re-runs over their budget are spaced out (between 100 ms and 2 s), not under it", async () => {
  const engine = createLocalEngine(schema, modules, { dataDir: null, log: () => {} });
  const tight = new QueryHub({ engine, t: engine.t }, new PublicFunctions(modules), 1e-9);
  const loose = new QueryHub({ engine, t: engine.t }, new PublicFunctions(modules), 0.5);
  const subscriber = { invalidated: () => undefined };
  try {
    expect(tight.rerunDelayMs()).toBe(0); // nothing ran yet
    for (const hub of [tight, loose]) {
      const query = hub.acquire(subscriber, "app:countOf", [{ owner: "s" }], null, null);
      await hub.refresh(query);
      expect(hub.rerunDelayMs()).toBe(0); // a first run answers a client: not counted
      query.invalidAt = engine.lastCommitTs();
      await hub.refresh(query);
    }
    expect(tight.rerunDelayMs()).toBeGreaterThanOrEqual(100);
    expect(tight.rerunDelayMs()).toBeLessThanOrEqual(2000);
    expect(loose.rerunDelayMs()).toBe(0);
  } finally {
    tight.close();
    loose.close();
    await engine.close();
  }
});
