/**
 * Durability: close/reopen keeps documents, ids, creation times and components; a kill -9 loses
 * at most the last flush interval (and only whole transactions, a prefix of the history); torn
 * or corrupted log tails are dropped; corruption elsewhere fails loudly.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { convexToJson, type Value } from "convex/values";
import fc from "fast-check";
import { afterEach, describe, expect, test } from "vitest";
import { appSchema, refs } from "./fixtures/app";
import { componentModules, schema as counterSchema } from "./fixtures/component/modules";
import { modules } from "./fixtures/modules";
import { createLocalEngine, type LocalEngineOptions } from "./index";
import { captureConvexGlobal } from "./adapter";
import { docFromText, docText, type Doc } from "./keys";

const dirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-test-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function open(dataDir: string, options: LocalEngineOptions = {}, withComponent = true) {
  const engine = createLocalEngine(appSchema, modules, {
    dataDir,
    log: () => undefined,
    ...options,
  });
  if (withComponent) engine.t.registerComponent("counter", counterSchema, componentModules);
  return engine;
}

type Item = { _id: string; _creationTime: number; n: number; name: string };
const json = (x: unknown) => JSON.stringify(convexToJson(x as Value));
const walFiles = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => /^engine-wal-\d+\.log$/.test(f))
    .sort();

async function dump(engine: ReturnType<typeof open>) {
  return {
    all: (await engine.t.query(refs.all, {})) as Item[],
    byN: (await engine.t.query(refs.byN, { min: -1e9, max: 1e9 })) as Item[],
    counter: (await engine.t.query(refs.count, { name: "c" })) as number | null,
  };
}

const sampleItems = [
  { name: "a", n: 3, tag: "x", big: 2n ** 62n, bytes: new Uint8Array([1, 2, 3]).buffer },
  { name: "b", n: -0, tag: "y", body: "hello world" },
  { name: "c", n: NaN },
  { name: "d", n: Infinity, embedding: [0.5, -1] },
  { name: "e", n: 1.5, tag: "x" },
];

describe("document text", () => {
  test("docText/docFromText round-trip every Convex value (fast path and $-encoded)", () => {
    const leaf = fc.oneof(
      fc.double(),
      fc.constantFrom(0, -0, NaN, Infinity, -Infinity),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.boolean(),
      fc.constant(null),
      fc.string({ unit: "binary", maxLength: 5 }),
      fc.constantFrom("$5", '"$', "\\"),
      fc.uint8Array({ maxLength: 3 }).map((a) => a.buffer),
    );
    const value = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { arbitrary: leaf, weight: 5 },
        { arbitrary: fc.array(tie("v"), { maxLength: 3 }), weight: 1 },
        {
          arbitrary: fc.dictionary(fc.constantFrom("a", "b", "Zed"), tie("v"), { maxKeys: 3 }),
          weight: 1,
        },
      ),
    })).v;
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom("x", "y", "Upper"), value, { maxKeys: 3 }),
        (fields) => {
          const doc = { ...fields, _id: "10001t", _creationTime: 1.5 } as Doc;
          const back = docFromText(docText(doc));
          expect(json(back)).toBe(json(doc));
          expect(back).toEqual(doc);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("close and reopen", () => {
  for (const compactOnClose of [true, false]) {
    test(`same documents, ids, creation times and component data (compactOnClose ${compactOnClose})`, async () => {
      const dir = tmpDir();
      // A long flush interval keeps the commits buffered until close, as in a fresh process.
      const e1 = open(dir, { compactOnClose, flushIntervalMs: 3_600_000 });
      const ids = (await e1.t.mutation(refs.addMany, { items: sampleItems })) as string[];
      await e1.t.mutation(refs.setN, { id: ids[0], n: 42 });
      await e1.t.mutation(refs.remove, { id: ids[2] });
      await e1.t.mutation(refs.countUp, { name: "c" });
      await e1.t.mutation(refs.countUp, { name: "c" });
      const before = await dump(e1);
      const lastCommitTs = captureConvexGlobal(e1.t).transactionManager._lastCommitTs;
      await e1.close();
      expect(fs.existsSync(path.join(dir, "engine-snapshot.jsonl"))).toBe(compactOnClose);
      expect(fs.existsSync(path.join(dir, "engine.lock"))).toBe(false);

      const e2 = open(dir);
      const after = await dump(e2);
      expect(json(after)).toBe(json(before));
      expect(after.all.map((d) => d._id)).toEqual([ids[0], ids[1], ids[3], ids[4]]);
      expect(after.counter).toBe(2);
      expect(e2.stats().persistence?.loadedDocuments).toBe(5); // 4 items + 1 counter
      expect(captureConvexGlobal(e2.t).transactionManager._lastCommitTs).toBe(lastCommitTs);

      // New ids never collide with reloaded ones (not even with the deleted one), and new
      // documents sort after the old ones in creation order.
      const fresh = (await e2.t.mutation(refs.addMany, {
        items: [
          { name: "f", n: 0 },
          { name: "g", n: 0 },
        ],
      })) as string[];
      for (const id of fresh) expect(ids).not.toContain(id);
      const all = (await e2.t.query(refs.all, {})) as Item[];
      expect(all.slice(-2).map((d) => d._id)).toEqual(fresh);
      expect(all[4]._creationTime).toBeGreaterThan(all[3]._creationTime);
      await e2.t.mutation(refs.countUp, { name: "c" });
      expect(captureConvexGlobal(e2.t).transactionManager._lastCommitTs > lastCommitTs).toBe(true);
      e2.checkInvariants();
      await e2.close();

      // Third generation: snapshot (or log) of the second session on top of the first.
      const e3 = open(dir);
      const third = await dump(e3);
      expect(third.all.map((d) => d._id)).toEqual([ids[0], ids[1], ids[3], ids[4], ...fresh]);
      expect(third.counter).toBe(3);
      await e3.close();
    });
  }

  test("a component not registered in a session keeps its data on disk", async () => {
    const dir = tmpDir();
    const e1 = open(dir);
    await e1.t.mutation(refs.countUp, { name: "c" });
    await e1.close();
    const e2 = open(dir, {}, false); // no component this time; compacts on close
    await e2.t.mutation(refs.add, { name: "x", n: 1 });
    await e2.close();
    const e3 = open(dir);
    expect((await dump(e3)).counter).toBe(1);
    expect((await dump(e3)).all).toHaveLength(1);
    await e3.close();
  });

  test("scheduled functions left pending resume after a reload, under their ids, in their component", async () => {
    const dir = tmpDir();
    const e1 = open(dir);
    await e1.t.mutation(refs.addLater, { name: "now", n: 1, delayMs: 0 });
    await new Promise((r) => setTimeout(r, 20));
    await e1.t.finishInProgressScheduledFunctions();
    // Due soon, but the process is gone before they run.
    await e1.t.mutation(refs.addLater, { name: "later", n: 2, delayMs: 300 });
    await e1.t.mutation(refs.countUpLater, { name: "c", delayMs: 300 });
    type Job = { _id: string; state: { kind: string } };
    const rootBefore = (await e1.t.query(refs.jobs, {})) as Job[];
    const componentBefore = (await e1.t.query(refs.counterJobs, {})) as Job[];
    expect(rootBefore.map((j) => j.state.kind)).toEqual(["success", "pending"]);
    expect(componentBefore.map((j) => j.state.kind)).toEqual(["pending"]);
    await e1.close();

    const e2 = open(dir);
    expect(await e2.resumeScheduledFunctions()).toBe(2);
    await new Promise((r) => setTimeout(r, 400));
    await e2.t.finishInProgressScheduledFunctions();
    const root = (await e2.t.query(refs.jobs, {})) as Job[];
    const component = (await e2.t.query(refs.counterJobs, {})) as Job[];
    expect(root.map((j) => j._id)).toEqual(rootBefore.map((j) => j._id));
    expect(component.map((j) => j._id)).toEqual(componentBefore.map((j) => j._id));
    expect([...root, ...component].map((j) => j.state.kind)).toEqual([
      "success",
      "success",
      "success",
    ]);
    expect(((await e2.t.query(refs.all, {})) as Item[]).map((d) => d.name)).toEqual([
      "now",
      "later",
    ]);
    expect((await dump(e2)).counter).toBe(1);
    await e2.close();
    const e3 = open(dir); // done and durable: nothing to resume any more
    expect(await e3.resumeScheduledFunctions()).toBe(0);
    await e3.close();
  });

  test("fresh starts empty; a directory is opened by one engine at a time", async () => {
    const dir = tmpDir();
    const e1 = open(dir);
    await e1.t.mutation(refs.add, { name: "x", n: 1 });
    expect(() => open(dir)).toThrow(/in use by process/);
    await e1.close();
    const e2 = open(dir, { fresh: true });
    expect((await dump(e2)).all).toEqual([]);
    await e2.close();
    const e3 = open(dir);
    expect((await dump(e3)).all).toEqual([]);
    await e3.close();
  });

  test("compactions running while transactions commit lose nothing", async () => {
    const dir = tmpDir();
    const e1 = open(dir, { compactMinBytes: 2_000, flushIntervalMs: 5 });
    const background: Array<Promise<unknown>> = [];
    for (let round = 0; round < 5; round++) {
      // Not awaited: the compaction writes its snapshot while the next transactions commit.
      const compaction = e1.compact();
      for (let j = 0; j < 60; j++) {
        const k = round * 60 + j;
        await e1.t.mutation(refs.add, { name: `n${k}`, n: k, body: "y".repeat(50) });
        if (k % 25 === 0) background.push(e1.flush());
      }
      await compaction;
    }
    await Promise.all(background);
    const before = await dump(e1);
    expect(e1.stats().persistence?.compactions).toBeGreaterThanOrEqual(5);
    await e1.close();
    const e2 = open(dir);
    expect(json(await dump(e2))).toBe(json(before));
    expect(before.all).toHaveLength(300);
    await e2.close();
  });

  test("a compaction triggered while another one starts does not run twice", async () => {
    const dir = tmpDir();
    const messages: string[] = [];
    // Every write exceeds the threshold, so the write that starts a compaction (the rotation's)
    // would trigger another one.
    const e1 = open(dir, {
      compactMinBytes: 1,
      flushIntervalMs: 3_600_000,
      log: (m) => messages.push(m),
    });
    for (let round = 0; round < 4; round++) {
      for (let k = 0; k < 20; k++) {
        await e1.t.mutation(refs.add, { name: `r${round}`, n: round * 20 + k });
      }
      await e1.compact();
      await e1.compact();
    }
    const before = await dump(e1);
    await e1.close();
    expect(messages.filter((m) => /compaction failed/.test(m))).toEqual([]);
    const e2 = open(dir);
    expect(json(await dump(e2))).toBe(json(before));
    expect(before.all).toHaveLength(80);
    await e2.close();
  });
});

describe("damaged logs", () => {
  async function writeSession(dir: string, from: number, count: number) {
    const e = open(dir, { compactOnClose: false });
    for (let k = from; k < from + count; k++) {
      await e.t.mutation(refs.add, { name: "t", n: k });
      if (k % 3 === 0) await e.flush(); // several writes to the file
    }
    await e.close();
  }

  test("a torn last line is dropped and the file truncated", async () => {
    const dir = tmpDir();
    await writeSession(dir, 0, 10);
    const [wal] = walFiles(dir);
    const file = path.join(dir, wal);
    const size = fs.statSync(file).size;
    fs.appendFileSync(file, '0badc0de {"ts":"17","c":{"":{"n":1,"lt":1,"w":[["1000');
    const messages: string[] = [];
    const e = open(dir, { log: (m) => messages.push(m) });
    expect(((await e.t.query(refs.all, {})) as Item[]).map((d) => d.n)).toEqual(
      Array.from({ length: 10 }, (_, k) => k),
    );
    expect(e.stats().persistence?.truncatedTailBytes).toBeGreaterThan(0);
    expect(messages.join("\n")).toMatch(/torn\/corrupted tail/);
    expect(fs.statSync(file).size).toBe(size);
    await e.close();
  });

  test("a last line with a bad checksum is dropped (only it)", async () => {
    const dir = tmpDir();
    await writeSession(dir, 0, 6);
    const file = path.join(dir, walFiles(dir)[0]);
    const text = fs.readFileSync(file, "utf8");
    const lines = text.split("\n").filter((l) => l.length > 0);
    const last = lines[lines.length - 1];
    // Change one digit of the payload but keep the JSON valid.
    lines[lines.length - 1] = last.replace(
      /"n":(\d)/,
      (_m, d: string) => `"n":${(Number(d) + 1) % 10}`,
    );
    expect(lines[lines.length - 1]).not.toBe(last);
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const e = open(dir);
    expect(((await e.t.query(refs.all, {})) as Item[]).map((d) => d.n)).toEqual([0, 1, 2, 3, 4]);
    await e.close();
  });

  test("corruption in an older log file fails loudly instead of loading a gap", async () => {
    const dir = tmpDir();
    await writeSession(dir, 0, 4);
    await writeSession(dir, 4, 4);
    const files = walFiles(dir);
    expect(files.length).toBeGreaterThanOrEqual(2);
    const first = path.join(dir, files[0]);
    const text = fs.readFileSync(first, "utf8");
    fs.writeFileSync(first, text.slice(0, 20) + "X" + text.slice(21));
    expect(() => open(dir)).toThrow(/corrupted .* refusing to load a state with a gap/s);
    // The failed open released the directory.
    expect(fs.existsSync(path.join(dir, "engine.lock"))).toBe(false);
  });

  test("leftovers of an interrupted compaction are ignored", async () => {
    const dir = tmpDir();
    const e1 = open(dir);
    await e1.t.mutation(refs.add, { name: "a", n: 1 });
    await e1.compact();
    await e1.t.mutation(refs.add, { name: "b", n: 2 });
    await e1.flush();
    const snapshot = fs.readFileSync(path.join(dir, "engine-snapshot.jsonl"), "utf8");
    await e1.close();
    // A half-written snapshot and a log generation the snapshot already contains.
    fs.writeFileSync(path.join(dir, "engine-snapshot.tmp"), snapshot.slice(0, snapshot.length / 2));
    fs.writeFileSync(path.join(dir, "engine-wal-000000.log"), "garbage\n");
    const e2 = open(dir);
    expect(((await e2.t.query(refs.all, {})) as Item[]).map((d) => d.name)).toEqual(["a", "b"]);
    expect(fs.existsSync(path.join(dir, "engine-snapshot.tmp"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "engine-wal-000000.log"))).toBe(false);
    await e2.close();
  });

  test("a truncated snapshot fails loudly", async () => {
    const dir = tmpDir();
    const e1 = open(dir);
    await e1.t.mutation(refs.addMany, { items: sampleItems });
    await e1.close();
    const file = path.join(dir, "engine-snapshot.jsonl");
    const text = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, text.slice(0, Math.floor(text.length * 0.7)));
    expect(() => open(dir)).toThrow(/incomplete/);
  });
});

describe("kill -9", () => {
  const child = fileURLToPath(new URL("./fixtures/crashChild.ts", import.meta.url));

  /** Runs the child until it has committed for `runMs`, kills it, returns commit times. */
  async function runAndKill(
    dir: string,
    flushIntervalMs: number,
    compactMinBytes: number,
    runMs: number,
  ) {
    const proc = spawn(
      process.execPath,
      ["--import", "tsx", child, dir, String(flushIntervalMs), String(compactMinBytes)],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const commits: number[] = []; // commits[k] = when transaction k was reported committed
    let buffer = "";
    let started = 0;
    await new Promise<void>((resolve, reject) => {
      proc.on("error", reject);
      proc.on("exit", (code) => reject(new Error(`child exited early (${code})`)));
      proc.stdout.setEncoding("utf8");
      proc.stdout.on("data", (chunk: string) => {
        buffer += chunk;
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const line of lines) {
          if (line === "ready") {
            started = Date.now();
            continue;
          }
          const [k, at] = line.split(" ").map(Number);
          commits[k] = at;
        }
        if (started > 0 && Date.now() - started > runMs && commits.length > 200) resolve();
      });
    });
    proc.removeAllListeners("exit");
    const killedAt = Date.now();
    const exited = new Promise((r) => proc.on("exit", r));
    proc.kill("SIGKILL");
    await exited;
    return { commits, killedAt };
  }

  for (const [flushIntervalMs, compactMinBytes, label] of [
    [1000, 64 << 20, "default flush interval"],
    [200, 20_000, "frequent compactions"],
  ] as const) {
    test(`loses at most the last flush interval, as a suffix of whole transactions (${label})`, async () => {
      const dir = tmpDir();
      const { commits, killedAt } = await runAndKill(dir, flushIntervalMs, compactMinBytes, 2500);
      const e = open(dir);
      const items = (await e.t.query(refs.all, {})) as Item[];
      const m = items.length;
      // A prefix of the transactions, in order, none twice.
      expect(items.map((d) => d.n)).toEqual(Array.from({ length: m }, (_, k) => k));
      // Everything committed more than one flush interval (+ write latency) before the kill.
      const margin = 500;
      const mustHave = commits.filter((at) => at <= killedAt - flushIntervalMs - margin).length;
      expect(m).toBeGreaterThanOrEqual(mustHave);
      expect(m).toBeLessThanOrEqual(commits.length + 1); // +1: committed, not yet reported
      expect(mustHave).toBeGreaterThan(100);
      // The component's transactions are part of the same prefix.
      const counter = (await e.t.query(refs.count, { name: "c" })) as number | null;
      // (The increment after item m - 1 may or may not have made it.)
      expect([Math.floor((m - 1) / 10), Math.floor(m / 10)]).toContain(counter ?? 0);
      if (compactMinBytes < 1 << 20) {
        expect(fs.existsSync(path.join(dir, "engine-snapshot.jsonl"))).toBe(true);
      }
      e.checkInvariants();
      console.log(
        `kill -9 (${label}): ${commits.length} reported commits, ${m} recovered, ` +
          `${commits.length - m} lost (all within ${killedAt - (commits[m] ?? killedAt)} ms of the kill)`,
      );
      await e.close();
    }, 30_000);
  }
});
