#!/usr/bin/env bash
# `npm run simulate`: every node-sandbox scenario (docs/boot.md "The node sandbox"): the ones
# `npm test` runs (test/node/*.test.ts) and the slower ones it leaves out (test/node/*.sim.ts).
# Needs root (mount namespaces, loop devices); installs its Debian tools when run as root.
# Extra arguments go to jest, e.g. `npm run simulate -- -t "single master"`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
K8SHA_SYNTH_CACHE_DIR="$(mktemp -d)"
export K8SHA_SYNTH_CACHE_DIR
trap 'rm -rf "$K8SHA_SYNTH_CACHE_DIR"' EXIT
npx --no-install jest --testMatch '**/test/node/**/*.test.ts' '**/test/node/**/*.sim.ts' "$@"
