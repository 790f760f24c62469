/**
 * Offline deploy check: runs the real Convex bundler for both runtimes (as
 * `npx convex deploy` would, without sending anything), then checks what a real push
 * would reject or regret: Node APIs outside "use node" files (the bundler fails),
 * TF.js leaking into the default runtime, and the total code size limit (32 MiB).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CODE_SIZE_LIMIT = 32 * 1024 * 1024;
const NODE_ONLY_MARKERS = ["@tensorflow/tfjs", "tfjs-core", "tfjs-layers"];

type BundledModule = { path: string; source: string; environment: "isolate" | "node" };

const dir = mkdtempSync(join(tmpdir(), "convex-bundle-"));
try {
  execFileSync(
    "npx",
    [
      "convex",
      "deploy",
      "-y",
      "--codegen",
      "disable",
      "--typecheck",
      "disable",
      "--debug-bundle-path",
      dir,
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        // A self-hosted target that is never contacted: with --debug-bundle-path the
        // CLI writes the bundle and stops before any network call.
        CONVEX_SELF_HOSTED_URL: "http://127.0.0.1:9",
        CONVEX_SELF_HOSTED_ADMIN_KEY: "offline-check",
        CONVEX_DEPLOYMENT: "",
      },
    },
  );
  const config = JSON.parse(readFileSync(join(dir, "fullConfig.json"), "utf8")) as {
    modules: BundledModule[];
  };
  const size = { isolate: 0, node: 0 };
  const problems: string[] = [];
  for (const module of config.modules) {
    size[module.environment] += Buffer.byteLength(module.source);
    if (
      module.environment === "isolate" &&
      NODE_ONLY_MARKERS.some((marker) => module.source.includes(marker))
    ) {
      problems.push(`TF.js code in the default runtime: ${module.path}`);
    }
  }
  const total = size.isolate + size.node;
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
  console.log(`bundle: default runtime ${mib(size.isolate)}, node runtime ${mib(size.node)}`);
  console.log(`bundle: total ${mib(total)} of the ${mib(CODE_SIZE_LIMIT)} limit`);
  if (total > CODE_SIZE_LIMIT) problems.push(`bundle exceeds ${mib(CODE_SIZE_LIMIT)}`);
  for (const problem of problems) console.error(`bundle check: ${problem}`);
  process.exit(problems.length > 0 ? 1 : 0);
} catch (error) {
  const failure = error as { stdout?: Buffer; stderr?: Buffer; message: string };
  console.error(failure.stderr?.toString() || failure.stdout?.toString() || failure.message);
  console.error("bundle check: the Convex bundler failed");
  process.exit(1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
