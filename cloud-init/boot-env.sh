# shellcheck shell=bash
# Sourced first by every entry script (bin/<role>-boot.sh): exports node.env, loads every
# library the role's bundle shipped, and installs the failure report trap. Top-level code on
# purpose: sourced inside a function, a library's `declare` would become function-local.
K8SHA_LIB_DIR="${K8SHA_LIB_DIR:-/opt/k8sha/lib}"
K8SHA_NODE_ENV="${K8SHA_NODE_ENV:-/etc/k8sha/node.env}"
set -a
# shellcheck source=/dev/null
. "$K8SHA_NODE_ENV"
set +a
for lib in "$K8SHA_LIB_DIR"/*.sh; do
  # shellcheck source=/dev/null
  . "$lib"
done
install_boot_report_trap
