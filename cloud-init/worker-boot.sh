#!/usr/bin/env bash
# Worker first boot: prerequisites, identity, join secrets from SSM, kubeadm join through the
# API load balancer (waits, bounded, until it answers), success marker + instance tag.
# Pool labels and taints are set at registration by the JoinConfiguration. Re-runnable: a node
# that already joined never runs kubeadm again. See docs/boot.md.
set -euo pipefail

# node.env, every library of this role, the failure report trap (shipped beside this script).
# shellcheck source=/dev/null
. "$(dirname "${BASH_SOURCE[0]}")/boot-env.sh"

: "${KUBEADM_JOIN_TEMPLATE:?KUBEADM_JOIN_TEMPLATE must be set}"
KUBEADM_WORK_DIR="${KUBEADM_WORK_DIR:-/etc/k8sha/kubeadm}"
JOIN_CONFIG="$KUBEADM_WORK_DIR/join.yaml"
JOIN_SECRETS_DIR="${JOIN_SECRETS_DIR:-/etc/k8sha/join}"

# user-data's JoinConfiguration template (labels and taints in it) with this node's values.
write_join() {
  local token hash
  token="$(<"$JOIN_SECRETS_DIR/token")"
  hash="$(<"$JOIN_SECRETS_DIR/discovery-hash")"
  fill_template "$KUBEADM_JOIN_TEMPLATE" "$JOIN_CONFIG" NODE_NAME="$NODE_NAME" NODE_IP="$NODE_IP" \
    BOOTSTRAP_TOKEN="$token" DISCOVERY_HASH="$hash" PROVIDER_ID?="$PROVIDER_ID"
}

run_step prereqs prepare_node "$KUBERNETES_VERSION"
step identity
load_node_identity
run_step join-secrets fetch_join_secrets "$JOIN_SECRETS_DIR"
run_step join-config write_join
run_step kubeadm-join kubeadm_join_worker "$JOIN_CONFIG"
report_success
