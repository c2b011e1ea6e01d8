#!/usr/bin/env bash
# Runs refit's benchmarks (scripts/bench/) on a fresh Debian machine or a warm one: installs Node
# dependencies, brings up the test bed, builds, then measures. Arguments go to the bench
# (--quick, --json, --only 1,3, --help). Progress goes to stderr; the table or JSON to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
bash scripts/testbed.sh up >&2
npm run --silent build >&2
exec node_modules/.bin/tsx scripts/bench/main.ts "$@"
