#!/usr/bin/env bash
# Worker first boot: prerequisites, identity, join secrets from SSM, kubeadm join through the
# API load balancer (waits, bounded, until it answers), success marker + instance tag.
# Pool labels and taints are set at registration by the JoinConfiguration. Re-runnable: a node
# that already joined never runs kubeadm again. See docs/boot.md.
set -euo pipefail

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
