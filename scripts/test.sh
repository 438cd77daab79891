#!/usr/bin/env bash
# The one test command (npm test): tools, lint + format, type-check, every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
echo "== biome (lint + format)"
npx --no-install biome ci .
echo "== tsc --noEmit (strict)"
npx --no-install tsc --noEmit -p tsconfig.json
echo "== jest"
# One synthesis per distinct stack config per run, shared by every test file (synth/mockRuntime.ts).
K8SHA_SYNTH_CACHE_DIR="$(mktemp -d)"
export K8SHA_SYNTH_CACHE_DIR
trap 'rm -rf "$K8SHA_SYNTH_CACHE_DIR"' EXIT
npx --no-install jest --reporters=default --reporters=./test/support/summaryReporter.js "$@"
