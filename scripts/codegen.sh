#!/usr/bin/env bash
# Regenerates convex/_generated without a deployment. The offline codegen omits the
# `components` export, so it is appended here (one line per `app.use` in convex.config.ts), in
# the shape `npx convex dev` writes.
set -euo pipefail
cd "$(dirname "$0")/.."
npx convex codegen --system-udfs --typecheck disable
cat >> convex/_generated/api.d.ts <<'TS'

export declare const components: {
  rateLimiter: import("@convex-dev/rate-limiter/_generated/component.js").ComponentApi<"rateLimiter">;
  scoringPool: import("@convex-dev/workpool/_generated/component.js").ComponentApi<"scoringPool">;
  explanationPool: import("@convex-dev/workpool/_generated/component.js").ComponentApi<"explanationPool">;
  webhookPool: import("@convex-dev/workpool/_generated/component.js").ComponentApi<"webhookPool">;
  historyFolder: import("@convex-dev/batch-worker/_generated/component.js").ComponentApi<"historyFolder">;
  migrations: import("@convex-dev/migrations/_generated/component.js").ComponentApi<"migrations">;
};
TS
cat >> convex/_generated/api.js <<'JS'

export const components = componentsGeneric();
JS
sed -i 's/^import { anyApi } from "convex\/server";/import { anyApi, componentsGeneric } from "convex\/server";/' convex/_generated/api.js
