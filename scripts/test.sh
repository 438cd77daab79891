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
npx --no-install jest --reporters=default --reporters=./test/support/summaryReporter.js "$@"
