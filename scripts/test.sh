#!/usr/bin/env bash
# Runs every check refit has, on a fresh Debian machine or a warm one: installs Node
# dependencies, brings up the test bed (engines, registries, token server, MQTT broker, Chromium;
# see docs/testing.md), builds, type-checks, lints, then runs all vitest tiers. Ends with the
# line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

step "node dependencies"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

step "test bed"
bash scripts/testbed.sh up

step "build"
npm run --silent build

step "type-check"
npm run --silent typecheck

step "lint"
npm run --silent lint

step "tests"
mkdir -p .testbed
results=.testbed/vitest-results.json
rm -f "$results"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?

if [ -s "$results" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$results"
else
  echo "0 passed, 1 failed"
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
