import { afterEach, vi } from "vitest";

// Tests fake timers to step scheduled functions; never leak them into the next test.
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});
