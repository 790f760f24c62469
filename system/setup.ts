import { vi } from "vitest";
import schema from "../convex/schema";
import { modules, registerComponents, stubTestEnv, type Backend } from "../convex/test.setup";
import { createLocalEngine } from "../scripts/local/engine";

/**
 * The backend of the system tests: the same functions, components and helpers as the Convex
 * tests (`convex/test.setup.ts`), on the local engine's indexed storage (in memory), for tests
 * that store more documents than stock convex-test, which scans every document per query, can
 * handle. Real Convex transaction limits are on; timers are faked.
 */
export function setupSystem(env: Record<string, string> = {}): Backend {
  vi.useFakeTimers();
  stubTestEnv(env);
  const engine = createLocalEngine(schema, modules, { dataDir: null, transactionLimits: true });
  registerComponents(engine.t);
  return engine.t;
}
