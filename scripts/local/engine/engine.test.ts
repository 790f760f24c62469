/**
 * The engine's `t` behaves like `convexTest(schema, modules)`: the same scenario (indexes,
 * search and vector indexes, auth, t.run, t.fetch, the scheduler, a component registered after
 * creation) gives the same results on both; plus the engine's own guarantees (indexed storage for
 * components, no leaked query streams, verify mode, loud failure on changed internals).
 */
import { convexTest } from "convex-test";
import { convexToJson, type Value } from "convex/values";
import { describe, expect, test } from "vitest";
import { appSchema, refs } from "./fixtures/app";
import { componentModules, schema as counterSchema } from "./fixtures/component/modules";
import { modules } from "./fixtures/modules";
import { createLocalEngine } from "./index";
import {
  assertConvexTestInternals,
  captureConvexGlobal,
  type ConvexGlobal,
  type IndexedDatabase,
} from "./adapter";

type T = ReturnType<typeof convexTest<(typeof appSchema)["tables"]>>;

async function scenario(t: T): Promise<string> {
  t.registerComponent("counter", counterSchema, componentModules);
  const out: unknown[] = [];
  const ids = (await t.mutation(refs.addMany, {
    items: [
      { name: "a", n: 5, tag: "x", body: "the quick brown fox", embedding: [1, 0] },
      { name: "b", n: 1, tag: "y", body: "quick thinking", embedding: [0, 1] },
      { name: "c", n: 3, tag: "x", body: "slow brown dog", embedding: [0.7, 0.7] },
      // (stock search and vector search need their field on every document)
      { name: "d", n: 8, body: "nothing here", embedding: [-1, 0] },
    ],
  })) as string[];
  await t.mutation(refs.setN, { id: ids[3], n: 2 });
  out.push(await t.query(refs.byN, { min: 2, max: 5 }));
  out.push(await t.query(refs.search, { text: "quick" }));
  out.push(await t.query(refs.search, { text: "brown", tag: "x" }));
  out.push(await t.action(refs.nearest, { vector: [1, 0.1] }));
  out.push(await t.query(refs.whoami, {}));
  out.push(await t.withIdentity({ subject: "user-1" }).query(refs.whoami, {}));
  out.push(
    await t.run(async (ctx) => {
      const db = ctx.db;
      const item = await db.get("items", ids[0] as never);
      return [
        item,
        await db
          .query("items")
          .withIndex("by_tag_and_n", (q) => q.eq("tag", "x"))
          .collect(),
      ];
    }),
  );
  const response = await t.fetch("/count", { method: "GET" });
  out.push([response.status, await response.text()]);
  out.push(await t.mutation(refs.addLater, { name: "later", n: 9, delayMs: 0 }));
  await new Promise((r) => setTimeout(r, 20));
  await t.finishInProgressScheduledFunctions();
  out.push(await t.query(refs.all, {}));
  out.push(await t.mutation(refs.countUp, { name: "c" }));
  out.push(await t.mutation(refs.countUp, { name: "c" }));
  out.push(await t.query(refs.count, { name: "c" }));
  await t.mutation(refs.remove, { id: ids[1] });
  out.push(await t.query(refs.all, {}));
  try {
    await t.mutation(refs.setN, { id: ids[1], n: 1 });
  } catch (e) {
    out.push(e instanceof Error ? e.message : String(e));
  }
  return JSON.stringify(convexToJson(out as Value));
}

describe("createLocalEngine's t", () => {
  test("gives the same results as convexTest on an app scenario", async () => {
    // Same clock for both runs, so ids, creation times and commit timestamps are comparable.
    const realNow = Date.now;
    let now = 1_750_000_000_000;
    Date.now = () => now;
    try {
      const stock = await scenario(convexTest(appSchema, modules));
      now = 1_750_000_000_000;
      const engine = createLocalEngine(appSchema, modules, { dataDir: null, verify: true });
      const mine = await scenario(engine.t);
      expect(mine).toBe(stock);
      expect(JSON.parse(stock)).toContainEqual("user-1");
      engine.checkInvariants();
      await engine.close();
    } finally {
      Date.now = realNow;
    }
  });

  test("components registered after creation get indexed storage", async () => {
    const engine = createLocalEngine(appSchema, modules, { dataDir: null });
    engine.t.registerComponent("counter", counterSchema, componentModules);
    await engine.t.mutation(refs.countUp, { name: "x" });
    const global = captureConvexGlobal(engine.t);
    const db = global.components.counter.db as unknown as IndexedDatabase;
    expect(db.tables.get("counters")?.size).toBe(1);
    expect([...(db.tables.get("counters")?.indexes.keys() ?? [])]).toEqual([
      "by_id",
      "by_creation_time",
      "by_name",
      "by_updatedAt",
    ]);
    expect(engine.stats().components.counter).toEqual({ tables: { counters: 1 }, documents: 1 });
    await engine.close();
  });

  test("query streams do not outlive their transaction", async () => {
    const engine = createLocalEngine(appSchema, modules, { dataDir: null });
    await engine.t.mutation(refs.addMany, {
      items: Array.from({ length: 20 }, (_, n) => ({ name: `n${n}`, n, body: "word" })),
    });
    for (let k = 0; k < 50; k++) {
      await engine.t.query(refs.byN, { min: k % 5, max: 10 });
      await engine.t.query(refs.search, { text: "word" }); // stock search path
    }
    // A query that stops iterating early (first()) leaves its stream open until the end.
    await engine.t.run(async (ctx) => {
      await ctx.db.query("items").first();
      await ctx.db
        .query("items")
        .withSearchIndex("search_body", (q) => q.search("body", "w"))
        .first();
    });
    const db = captureConvexGlobal(engine.t).components[""].db as unknown as IndexedDatabase;
    expect(db.openQueryStreams()).toBe(0);
    await engine.close();
  });

  test("verify mode compares with stock and reports a corrupted index", async () => {
    const engine = createLocalEngine(appSchema, modules, { dataDir: null, verify: true });
    await engine.t.mutation(refs.addMany, {
      items: Array.from({ length: 10 }, (_, n) => ({ name: `n${n}`, n })),
    });
    expect(await engine.t.query(refs.byN, { min: 2, max: 4 })).toHaveLength(3);
    const db = captureConvexGlobal(engine.t).components[""].db as unknown as IndexedDatabase;
    const index = db.tables.get("items")?.indexes.get("by_n");
    const victim = index?.list.toArray()[3];
    expect(victim).toBeDefined();
    index?.list.delete(victim!);
    await expect(engine.t.query(refs.byN, { min: 2, max: 4 })).rejects.toThrow(
      /query differs from stock/,
    );
    await engine.close();
  });

  test("fails loudly when convex-test internals are not the expected ones", () => {
    const t = convexTest(appSchema, modules);
    const global = captureConvexGlobal(t);
    expect(() => assertConvexTestInternals(global)).not.toThrow();

    // A changed class body (fingerprint).
    const Base = global.components[""].db.constructor;
    Object.defineProperty(Base, "toString", {
      value: () => "class DatabaseFake { changed() {} }",
      configurable: true,
    });
    try {
      expect(() => assertConvexTestInternals(global)).toThrow(/differs from 0\.0\.60/);
    } finally {
      delete (Base as { toString?: unknown }).toString;
    }
    expect(() => assertConvexTestInternals(global)).not.toThrow();

    // A missing method or field.
    const fake = {
      components: { "": { db: { _writes: [], _nextDocId: "10000" }, modules: {} } },
      transactionManager: { _lastCommitTs: 0 },
      scheduler: {},
    } as unknown as ConvexGlobal;
    expect(() => assertConvexTestInternals(fake)).toThrow(
      /not a DatabaseFake[\s\S]*_iterateDocs is not a method[\s\S]*_nextDocId has an unexpected shape[\s\S]*_lastCommitTs/,
    );

    // Stock code touching `_documents` outside commit (a changed code path) is caught.
    const engine = createLocalEngine(appSchema, modules, { dataDir: null });
    const db = captureConvexGlobal(engine.t).components[""].db as unknown as {
      _documents: unknown;
    };
    expect(() => db._documents).toThrow(/accessed DatabaseFake._documents outside commit/);
  });
});
