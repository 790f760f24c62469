import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "convex",
          include: ["convex/**/*.test.ts"],
          environment: "edge-runtime",
          setupFiles: ["./convex/vitest.setup.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "scripts",
          include: ["scripts/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        // The dashboard in Debian's Chromium, against `npm start` (browser/dashboard.test.ts).
        extends: true,
        test: {
          name: "browser",
          include: ["browser/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
        },
      },
      {
        // Volume, faults and concurrency: the app on the local engine (see system/setup.ts).
        extends: true,
        test: {
          name: "system",
          include: ["system/**/*.test.ts"],
          environment: "node",
          setupFiles: ["./convex/vitest.setup.ts"],
        },
      },
    ],
    testTimeout: 30_000,
  },
});
