import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { SchemaDefinition, GenericSchema } from "convex/server";

/**
 * Module maps for running the real Convex functions on convex-test in a plain Node
 * process, where Vite's `import.meta.glob` does not exist. They have the same shape
 * as the glob result: `"./relative/path.ts" -> () => import(...)`.
 */
export type ModuleMap = Record<string, () => Promise<unknown>>;

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CONVEX_DIR = join(projectRoot, "convex");

const SOURCE = /\.(ts|js|mjs)$/;
const EXCLUDED = /(\.d\.ts|\.test\.[tj]s|\.setup\.[tj]s|\.map)$/;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return walk(path);
    return SOURCE.test(entry.name) && !EXCLUDED.test(entry.name) ? [path] : [];
  });
}

/** All function modules under `dir` (tests and type declarations excluded). */
export function modulesIn(dir: string): ModuleMap {
  const map: ModuleMap = {};
  for (const file of walk(dir)) {
    // convex-test calls the loader on every function call; `import()` of a loaded module
    // still goes through the loader hooks (tsx's, off-thread), so keep the promise.
    let loaded: Promise<unknown> | undefined;
    map[`./${relative(dir, file).split("\\").join("/")}`] = () =>
      (loaded ??= import(pathToFileURL(file).href));
  }
  return map;
}

type ComponentSource = { schema: SchemaDefinition<GenericSchema, boolean>; modules: ModuleMap };

/** The package directory of `packageName` as seen from `fromDir` (Node's resolution). */
function packageDir(packageName: string, fromDir: string): string {
  const require = createRequire(join(fromDir, "noop.js"));
  return dirname(require.resolve(`${packageName}/package.json`));
}

async function componentFrom(dir: string): Promise<ComponentSource> {
  const componentDir = join(dir, "dist", "component");
  const schemaModule = (await import(pathToFileURL(join(componentDir, "schema.js")).href)) as {
    default: SchemaDefinition<GenericSchema, boolean>;
  };
  const modules = modulesIn(componentDir);
  await preloadModules(modules);
  return { schema: schemaModule.default, modules };
}

type Registrar = {
  registerComponent(
    name: string,
    schema: SchemaDefinition<GenericSchema, boolean>,
    modules: ModuleMap,
  ): void;
};

/**
 * The components `convex/convex.config.ts` installs, by the name it gives them, and the
 * components they install in turn (registered as `<name>/<child>`), as their `/test` helpers
 * do under Vite.
 */
const COMPONENTS: Array<{ name: string; packageName: string; children: string[] }> = [
  { name: "rateLimiter", packageName: "@convex-dev/rate-limiter", children: ["batchWorker"] },
  { name: "scoringPool", packageName: "@convex-dev/workpool", children: ["batchWorker"] },
  { name: "explanationPool", packageName: "@convex-dev/workpool", children: ["batchWorker"] },
  { name: "webhookPool", packageName: "@convex-dev/workpool", children: ["batchWorker"] },
  { name: "historyFolder", packageName: "@convex-dev/batch-worker", children: [] },
  { name: "migrations", packageName: "@convex-dev/migrations", children: [] },
];
const CHILD_PACKAGES: Record<string, string> = { batchWorker: "@convex-dev/batch-worker" };

/**
 * Registers every component of `convex/convex.config.ts` on a convex-test instance. A child
 * component comes from its parent package's own dependency, as the Convex bundler resolves it
 * (the workpool and the rate limiter depend on different batch-worker versions).
 */
export async function registerComponents(t: Registrar): Promise<void> {
  const sources = new Map<string, Promise<ComponentSource>>();
  const source = (dir: string) => {
    let loaded = sources.get(dir);
    if (!loaded) sources.set(dir, (loaded = componentFrom(dir)));
    return loaded;
  };
  for (const { name, packageName, children } of COMPONENTS) {
    const dir = packageDir(packageName, projectRoot);
    const component = await source(dir);
    t.registerComponent(name, component.schema, component.modules);
    for (const child of children) {
      const nested = await source(packageDir(CHILD_PACKAGES[child], dir));
      t.registerComponent(`${name}/${child}`, nested.schema, nested.modules);
    }
  }
}

/**
 * Imports every function module up front (a deployment has them loaded before the first
 * request; a local process would otherwise compile them on first use). Config modules,
 * which only the Convex CLI evaluates, are skipped.
 */
export async function preloadModules(map: ModuleMap): Promise<void> {
  const functionModules = Object.entries(map).filter(([path]) => !/\.config\.[tj]s$/.test(path));
  await Promise.all(functionModules.map(([, load]) => load()));
}
