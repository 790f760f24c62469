/**
 * Benchmark (not a test): query and write cost as the table grows, stock convex-test vs the
 * indexed engine.
 *
 *   npx tsx scripts/local/engine/bench-engine.ts [--sizes 10000,100000,1000000]
 *     [--engines indexed,stock] [--samples 300] [--stock-samples 10] [--payload small|fat]
 *     [--json OUT.json]
 *
 * Engines: `indexed` (in memory), `indexed+disk` (data directory in a temporary folder, WAL
 * flushed every second; also measures snapshot, close and reload), `stock` (plain convexTest).
 * Each engine runs in its own Node process (started with --expose-gc, so the heap figure is
 * after a full GC and not polluted by the other engines).
 *
 * For each size the table is first filled (bulk mutations of 2000 inserts, not measured), then
 * measured with `--samples` calls each (stock: `--stock-samples`, its calls take seconds at 1 M):
 *   history  query: a user's last 50 payments (index range, desc, take 50)
 *   insert   mutation: one insert
 *   score    mutation like scoring: the user's last 50 and the terminal's last 50 payments
 *            within a year (two index ranges), an insert and a patch
 * `--payload fat` gives every filled payment a fraud result shaped like the app's (~1.5 kB of
 * JSON) to measure memory and snapshot sizes realistically; measured calls are the same.
 * The measured users and terminals are 20 "probe" ones that get 1 in 5 payments, so every
 * measured call reads the same number of documents (50 or 100) at every size.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { convexTest } from "convex-test";
import { benchSchema, refs, TAKE } from "./fixtures/bench";
import { modules } from "./fixtures/modules";
import { createLocalEngine } from "./index";

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "10000,100000,1000000" },
    engines: { type: "string", default: "indexed,stock" },
    samples: { type: "string", default: "300" },
    "stock-samples": { type: "string", default: "10" },
    payload: { type: "string", default: "small" },
    json: { type: "string" },
    child: { type: "string" },
  },
});

type Kind = "stock" | "indexed" | "indexed+disk";
interface Stats {
  mean: number;
  p50: number;
  p99: number;
  n: number;
}
interface Row {
  engine: Kind;
  documents: number;
  fillSeconds: number;
  heapMB: number;
  docsReadPerScore: number;
  history: Stats;
  insert: Stats;
  score: Stats;
}
interface Disk {
  snapshotMB: number;
  snapshotSeconds: number;
  closeSeconds: number;
  reloadSeconds: number;
  reloadedDocuments: number;
  heapAfterReloadMB: number;
}

const T0 = Date.UTC(2024, 0, 1);
const PROBES = 20;

const FEATURES = Array.from({ length: 30 }, (_, k) => `feature_${k}_window_stat`);

/** A fraud result shaped like the app's (30 features, 3 reasons, two models): ~1.5 kB JSON. */
function fraud(h: number) {
  const x = (k: number) => ((h >>> (k % 24)) % 10_000) / 1_000 + k;
  return {
    score: x(1),
    probability: x(2) / 100,
    level: "low",
    decision: "approve",
    reasons: [3, 5, 7].map((k) => ({
      feature: FEATURES[k],
      value: x(k),
      contribution: x(k + 1) / 10,
      text: `${FEATURES[k]} is ${x(k).toFixed(1)} times the user's usual value`,
    })),
    attributionMethod: "gradient-times-input",
    models: { logistic: { probability: x(4) / 100 }, neural: { probability: x(5) / 100 } },
    features: Object.fromEntries(FEATURES.map((f, k) => [f, x(k)])),
    modelVersion: "2024-01-01",
    scoredAt: T0 + h,
    latencyMs: x(6),
  };
}

/** Payment number i (deterministic): 1 in 5 goes to a probe user, another to a probe terminal. */
function payment(i: number) {
  const h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return {
    paymentId: `p${i}`,
    userId: i % 5 === 0 ? `probe${(i / 5) % PROBES}` : `u${h % 10_000}`,
    terminalId: i % 5 === 1 ? `probe${((i - 1) / 5) % PROBES}` : `t${(h >>> 7) % 5_000}`,
    timestamp: T0 + i * 60_000,
    amount: (h % 50_000) / 100,
    ...(args.payload === "fat" ? { fraud: fraud(h) } : {}),
  };
}

/** A measured payment: probe user and probe terminal. */
function probePayment(i: number, k: number) {
  return { ...payment(i), userId: `probe${k % PROBES}`, terminalId: `probe${(k + 7) % PROBES}` };
}

function stats(ms: number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p50: q(0.5), p99: q(0.99), n: s.length };
}

async function time(n: number, f: (k: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const t = performance.now();
    await f(k);
    out.push(performance.now() - t);
  }
  return out;
}

function heapMB(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** Fills and measures one engine over all sizes; with a data directory, snapshots and closes. */
async function fillAndMeasure(
  kind: Kind,
  sizes: number[],
  dir: string | null,
): Promise<{
  rows: Row[];
  snapshot?: Omit<Disk, "reloadSeconds" | "reloadedDocuments" | "heapAfterReloadMB">;
}> {
  const engine =
    kind === "stock"
      ? null
      : createLocalEngine(benchSchema, modules, { dataDir: dir, fresh: true });
  const t = engine?.t ?? convexTest(benchSchema, modules);
  const rows: Row[] = [];
  let next = 0;
  for (const size of sizes) {
    const started = performance.now();
    while (next < size) {
      const batch = [];
      for (let k = 0; k < 2000 && next < size; k++) batch.push(payment(next++));
      await t.mutation(refs.fill, { payments: batch });
    }
    const fillSeconds = (performance.now() - started) / 1000;
    const heap = heapMB();
    const n = kind === "stock" ? Number(args["stock-samples"]) : Number(args.samples);
    const before = T0 + next * 60_000;
    let docsRead = 0;
    // Warm-up (not measured): JIT, and the GC work left over from the fill.
    for (let k = 0; k < Math.min(n, 30); k++) {
      await t.query(refs.history, { userId: `probe${k % PROBES}`, before });
      await t.mutation(refs.score, { payment: probePayment(next++, k) });
    }
    const history = await time(n, (k) =>
      t.query(refs.history, { userId: `probe${k % PROBES}`, before }),
    );
    const insert = await time(n, () => t.mutation(refs.insert, { payment: payment(next++) }));
    const score = await time(n, async (k) => {
      docsRead = (await t.mutation(refs.score, { payment: probePayment(next++, k) })) as number;
    });
    const row: Row = {
      engine: kind,
      documents: size,
      fillSeconds,
      heapMB: heap,
      docsReadPerScore: docsRead,
      history: stats(history),
      insert: stats(insert),
      score: stats(score),
    };
    rows.push(row);
    const f = (s: Stats) => `p50 ${s.p50.toFixed(2)} p99 ${s.p99.toFixed(2)}`;
    console.error(
      `${kind} ${size} docs: fill ${fillSeconds.toFixed(1)}s, heap ${heap.toFixed(0)} MB, ` +
        `history ${f(row.history)}, insert ${f(row.insert)}, score ${f(row.score)} ms (n=${n})`,
    );
  }
  if (engine === null) return { rows };
  if (dir === null) {
    await engine.close();
    return { rows };
  }
  await engine.compact(); // (returns a compaction already running, if any)
  let t0 = performance.now();
  await engine.compact();
  const snapshotSeconds = (performance.now() - t0) / 1000;
  const snapshotMB = fs.statSync(path.join(dir, "engine-snapshot.jsonl")).size / 2 ** 20;
  t0 = performance.now();
  await engine.close();
  const closeSeconds = (performance.now() - t0) / 1000;
  return { rows, snapshot: { snapshotMB, snapshotSeconds, closeSeconds } };
}

/** Runs one engine over all sizes (in this process). */
async function runEngine(kind: Kind, sizes: number[]): Promise<{ rows: Row[]; disk?: Disk }> {
  const dir =
    kind === "indexed+disk" ? fs.mkdtempSync(path.join(os.tmpdir(), "engine-bench-")) : null;
  const { rows, snapshot } = await fillAndMeasure(kind, sizes, dir);
  if (dir === null || snapshot === undefined) return { rows };
  // The first engine is unreachable now: the heap below is the reloaded engine's.
  const heapBefore = heapMB();
  const t0 = performance.now();
  const reopened = createLocalEngine(benchSchema, modules, { dataDir: dir });
  const reloadSeconds = (performance.now() - t0) / 1000;
  const disk: Disk = {
    ...snapshot,
    reloadSeconds,
    reloadedDocuments: reopened.stats().documents,
    heapAfterReloadMB: heapMB() - heapBefore,
  };
  await reopened.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { rows, disk };
}

const sizes = args.sizes.split(",").map(Number);

if (args.child !== undefined) {
  const result = await runEngine(args.child as Kind, sizes);
  console.log(`RESULT ${JSON.stringify(result)}`);
} else {
  const kinds = args.engines.split(",") as Kind[];
  const rows: Row[] = [];
  const disks: Array<[Kind, Disk]> = [];
  for (const kind of kinds) {
    const child = spawnSync(
      process.execPath,
      [
        "--expose-gc",
        "--max-old-space-size=8192",
        "--import",
        "tsx",
        fileURLToPath(import.meta.url),
        "--child",
        kind,
        "--sizes",
        args.sizes,
        "--samples",
        args.samples,
        "--stock-samples",
        args["stock-samples"],
        "--payload",
        args.payload,
      ],
      { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", maxBuffer: 1 << 26 },
    );
    const line = child.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (child.status !== 0 || line === undefined) {
      throw new Error(`bench child ${kind} failed (status ${child.status})`);
    }
    const result = JSON.parse(line.slice(7)) as { rows: Row[]; disk?: Disk };
    rows.push(...result.rows);
    if (result.disk !== undefined) disks.push([kind, result.disk]);
  }

  const f = (s: Stats) => `${s.mean.toFixed(2)} / ${s.p99.toFixed(2)}`.padEnd(17);
  console.log(`\nms per call, mean / p99 (each call reads ${TAKE} or ${2 * TAKE} documents)`);
  console.log(
    "engine        documents  history          insert           score            heap MB",
  );
  for (const r of rows) {
    console.log(
      `${r.engine.padEnd(13)} ${String(r.documents).padStart(9)}  ` +
        `${f(r.history)}${f(r.insert)}${f(r.score)}${r.heapMB.toFixed(0).padStart(7)}`,
    );
  }
  console.log("");
  for (const kind of kinds) {
    const own = rows.filter((r) => r.engine === kind);
    if (own.length < 2) continue;
    const [a, b] = [own[0], own[own.length - 1]];
    const ratio = (x: Stats, y: Stats) => (y.mean / x.mean).toFixed(2);
    console.log(
      `${kind}: mean cost at ${b.documents} / at ${a.documents} documents: ` +
        `history ${ratio(a.history, b.history)}x, insert ${ratio(a.insert, b.insert)}x, ` +
        `score ${ratio(a.score, b.score)}x (documents read per score ${a.docsReadPerScore} -> ` +
        `${b.docsReadPerScore})`,
    );
  }
  for (const [kind, d] of disks) {
    console.log(
      `${kind}: snapshot ${d.snapshotMB.toFixed(0)} MB written in ${d.snapshotSeconds.toFixed(1)} s, ` +
        `close ${d.closeSeconds.toFixed(1)} s, reload of ${d.reloadedDocuments} documents ` +
        `${d.reloadSeconds.toFixed(1)} s, heap of the reloaded engine ${d.heapAfterReloadMB.toFixed(0)} MB`,
    );
  }
  if (args.json !== undefined) {
    fs.writeFileSync(args.json, JSON.stringify({ sizes, rows, disk: disks }, null, 2) + "\n");
  }
}
