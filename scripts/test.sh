#!/usr/bin/env bash
# `npm test`: typecheck, lint, formatting, the offline Convex bundle check, then every
# Vitest test. The last line is always "N passed, N failed" (checks count as one each).
set -u
cd "$(dirname "$0")/.."

checks_passed=0
checks_failed=0
check() {
  local name=$1
  shift
  echo "== $name"
  if "$@"; then
    checks_passed=$((checks_passed + 1))
  else
    echo "FAILED: $name"
    checks_failed=$((checks_failed + 1))
  fi
}

check typecheck npx tsc --noEmit -p tsconfig.json
check "dashboard typecheck" npx tsc --noEmit -p dashboard/tsconfig.json
check lint npx eslint . --max-warnings 0
check format npx prettier --check . --log-level warn
check "convex bundle" npx tsx scripts/check-bundle.ts

echo "== tests"
report=$(mktemp)
npx vitest run --reporter=default --reporter=json --outputFile.json="$report"
read -r tests_passed tests_failed < <(node -e '
  const fs = require("fs");
  try {
    const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    // Suites that fail to load report no tests; count each as a failure.
    const broken = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
    console.log(r.numPassedTests, r.numFailedTests + broken);
  } catch { console.log(0, 1); }
' "$report")
rm -f "$report"

passed=$((checks_passed + tests_passed))
failed=$((checks_failed + tests_failed))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
