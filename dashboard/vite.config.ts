import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The dashboard's build: `npm run dashboard:build` writes `dashboard/dist/` for any static host,
 * pointing at `VITE_CONVEX_URL`. `npm start` serves the same app through Vite's dev server
 * (`scripts/local/dashboard.ts`), so no build step is needed locally.
 */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  // React, the Convex client and Observable Plot in one chunk: about 600 kB, fine for an internal tool.
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1000 },
});
