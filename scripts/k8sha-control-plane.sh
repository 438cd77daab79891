#!/usr/bin/env bash
# Operator CLI for the control plane of one master (cloud-init/lib/control-plane-ops.sh), which
# the masters' rolling gate (scripts/roll-master.sh) runs through SSM Run Command. On a master it
# runs from /opt/k8sha/bin with the libraries in /opt/k8sha/lib and the node's settings (its
# stable address, ports, kubeadm config) from its node.env; in the repository it uses
# cloud-init/lib and the caller's environment.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="${K8SHA_LIB_DIR:-}"
if [[ -z "$lib" ]]; then
  if [[ -f "$here/../cloud-init/lib/control-plane-ops.sh" ]]; then lib="$here/../cloud-init/lib"; else lib=/opt/k8sha/lib; fi
fi
K8SHA_NODE_ENV="${K8SHA_NODE_ENV:-/etc/k8sha/node.env}"
if [[ -r "$K8SHA_NODE_ENV" ]]; then
  # shellcheck source=/dev/null
  . "$K8SHA_NODE_ENV"
fi
# One line per library: test/cloud-init/role-manifest.test.ts checks that the master bundle ships each.
# shellcheck source=/dev/null
. "$lib/common.sh"
# shellcheck source=/dev/null
. "$lib/etcd-tools.sh"
# shellcheck source=/dev/null
. "$lib/etcd-member.sh"
# shellcheck source=/dev/null
. "$lib/stale-nodes.sh"
# shellcheck source=/dev/null
. "$lib/prereqs.sh"
# shellcheck source=/dev/null
. "$lib/kubeadm.sh"
# shellcheck source=/dev/null
. "$lib/control-plane-ops.sh"
# shellcheck source=/dev/null
. "$lib/control-plane-etcd.sh"
# shellcheck source=/dev/null
. "$lib/control-plane-upgrade.sh"
# shellcheck source=/dev/null
. "$lib/control-plane-validate.sh"
export K8SHA_CURRENT_STEP="k8sha-control-plane-${1:-usage}"
cpo_main "$@"
