#!/usr/bin/env bash
# Worker first boot: prerequisites, identity, join secrets from SSM, kubeadm join through the
# API load balancer (waits, bounded, until it answers), success marker + instance tag.
# Pool labels and taints are set at registration by the JoinConfiguration. Re-runnable: a node
# that already joined never runs kubeadm again. See docs/boot.md.
set -euo pipefail

# node.env, every library of this role, the failure report trap (shipped beside this script).
# shellcheck source=/dev/null
. "$(dirname "${BASH_SOURCE[0]}")/boot-env.sh"

KUBEADM_WORK_DIR="${KUBEADM_WORK_DIR:-/etc/k8sha/kubeadm}"
JOIN_CONFIG="$KUBEADM_WORK_DIR/join.yaml"
JOIN_SECRETS_DIR="${JOIN_SECRETS_DIR:-/etc/k8sha/join}"

write_join() {
  write_join_config "$JOIN_CONFIG" "$NODE_NAME" "$NODE_IP" "$(<"$JOIN_SECRETS_DIR/token")" \
    "$(<"$JOIN_SECRETS_DIR/discovery-hash")" false
}

run_step prereqs prepare_node "$KUBERNETES_VERSION"
step identity
load_node_identity
run_step join-secrets fetch_join_secrets "$JOIN_SECRETS_DIR"
run_step join-config write_join
run_step kubeadm-join kubeadm_join_worker "$JOIN_CONFIG"
report_success
