#!/usr/bin/env bash
# `npm run simulate`: the whole-cluster simulation (scripts/simulate.ts) on this machine, no AWS:
# a control plane of the real dev stack in node sandboxes, faults, recoveries, a table of how long
# each took. `--scenarios` runs every node-sandbox scenario test instead (jest, test/node).
# Needs root (mount namespaces, loop devices, veth interfaces); installs its Debian tools when
# run as root, and names the install command otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
if ((EUID != 0)); then
  echo "simulate: needs root (unshare -m, losetup, ip link add); run it with sudo" >&2
  exit 1
fi
K8SHA_SYNTH_CACHE_DIR="$(mktemp -d)"
export K8SHA_SYNTH_CACHE_DIR
trap 'rm -rf "$K8SHA_SYNTH_CACHE_DIR"' EXIT
if [[ "${1:-}" == --scenarios ]]; then
  shift
  npx --no-install jest --testMatch '**/test/node/**/*.test.ts' '**/test/node/**/*.sim.ts' "$@"
else
  SWC_NODE_SOURCE_MAP_MODE=none node -r @swc-node/register scripts/simulate.ts "$@"
fi
