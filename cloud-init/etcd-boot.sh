#!/usr/bin/env bash
# Dedicated etcd node, first boot and every reboot (external topology): identity, the member's
# own etcd volume, its stable address, the pinned etcd release, its certificates from the etcd
# CA, then exactly one of new / join / rejoin (lib/etcd-node-join.sh), then the backup timer.
# No kubelet, container runtime or kubeadm. Every step is logged and, through run_step markers,
# skipped when a reboot re-runs the script. See docs/etcd-nodes.md.
set -euo pipefail

# node.env, every library of this role, the failure report trap (shipped beside this script).
# shellcheck source=/dev/null
. "$(dirname "${BASH_SOURCE[0]}")/boot-env.sh"

: "${ETCD_CLIENT_PORT:?ETCD_CLIENT_PORT must be set}" "${ETCD_PEER_PORT:?ETCD_PEER_PORT must be set}"
: "${ETCD_INIT_MARKER:?ETCD_INIT_MARKER must be set}" "${ETCD_VERSION:?ETCD_VERSION must be set}"
: "${ETCD_RELEASE_SHA256:?ETCD_RELEASE_SHA256 must be set}" "${ETCD_MEMBER:?ETCD_MEMBER must be set}"

step identity
load_node_identity
step etcd-volume
attach_etcd_volume
# Only after the volume claim: that proves the predecessor (which held the address) gone.
step stable-address
ensure_stable_address
run_step etcd-release etcd_release_install "$ETCD_VERSION" "$ETCD_RELEASE_SHA256"
run_step etcd-certs etcd_member_certs
step boot-mode
mode="$(etcd_node_mode)"
log "boot mode: $mode"
case "$mode" in
  new) etcd_node_bootstrap ;;
  join) etcd_node_join ;;
  rejoin) etcd_node_rejoin ;;
  *) die "unknown boot mode '$mode'" ;;
esac
# Every member runs the timer; only the etcd leader uploads (lib/etcd-backup.sh).
if [[ -n "${BACKUP_BUCKET:-}" ]]; then
  step etcd-backup-timer
  K8SHA_ETCD_MEMBER="$(etcd_member_name)" install_etcd_backup_timer "$BACKUP_BUCKET" "$BACKUP_PREFIX" "$BACKUP_INTERVAL_MINUTES" "$CLUSTER_NAME"
fi
# Rewritten on every boot (the units follow this bundle's scripts).
step etcd-cert-renewal-timer
install_etcd_cert_renewal_timer
step node-health-timer
install_health_timer "$CLUSTER_NAME" "$AVAILABILITY_ZONE"
report_success
