#!/usr/bin/env bash
# master node boot entry point (placeholder; the full sequence lands next).
set -euo pipefail
for lib in /opt/k8sha/lib/*.sh; do
  # shellcheck source=/dev/null
  . "$lib"
done
mark_success
