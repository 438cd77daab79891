#!/usr/bin/env bash
# Master first boot: prerequisites, identity, etcd volume, the master's stable address, cluster
# PKI, etcdctl from the etcd image, this node's etcd certificates, then exactly one of
#   init   (master 0, new cluster)   kubeadm init, etcd identity, initialised marker, CNI, add-ons
#   join   (empty etcd volume)       remove this zone's stale etcd member, kubeadm join --control-plane
#                                    under a cluster-wide lock (one learner at a time), etcd identity
#   rejoin (volume holds our member) the node's certificates, kubeconfigs, static pods and kubelet
#                                    offline (`kubeadm init phase`s): the member keeps its peer URL
#                                    (the stable address), so it needs no peer, no quorum and no API;
#                                    a volume from before stable addresses has its URL moved first
# then, in join and rejoin, delete this zone's predecessor Node (NotReady, same subnet).
# Every step is logged and, through run_step markers, skipped when a reboot re-runs the script.
# The chosen mode is persisted, so a reboot mid-way resumes the same path. See docs/boot.md.
set -euo pipefail

# node.env, every library of this role, the failure report trap (shipped beside this script).
# shellcheck source=/dev/null
. "$(dirname "${BASH_SOURCE[0]}")/boot-env.sh"

# Facts of base/ that node.env carries (cloud-init/render-env.ts); the libraries read them too.
: "${ETCD_CLIENT_PORT:?ETCD_CLIENT_PORT must be set}" "${ETCD_PEER_PORT:?ETCD_PEER_PORT must be set}"
: "${TAG_CLUSTER:?TAG_CLUSTER must be set}" "${TAG_ROLE:?TAG_ROLE must be set}"
: "${INIT_MARKER:?INIT_MARKER must be set}" "${ADDONS_PARAMETER:?ADDONS_PARAMETER must be set}"
: "${KUBEADM_INIT_TEMPLATE:?KUBEADM_INIT_TEMPLATE must be set}"
: "${KUBEADM_LOCAL_TEMPLATE:?KUBEADM_LOCAL_TEMPLATE must be set}"
: "${KUBEADM_JOIN_TEMPLATE:?KUBEADM_JOIN_TEMPLATE must be set}"

KUBEADM_WORK_DIR="${KUBEADM_WORK_DIR:-/etc/k8sha/kubeadm}"
INIT_CONFIG="$KUBEADM_WORK_DIR/init.yaml"
JOIN_CONFIG="$KUBEADM_WORK_DIR/join.yaml"
LOCAL_CONFIG="$KUBEADM_WORK_DIR/local.yaml"
ETCD_LOCAL_ENDPOINT="${ETCD_LOCAL_ENDPOINT:-https://127.0.0.1:$ETCD_CLIENT_PORT}"

# The other members' client URLs, comma-separated: every master's stable address is in node.env.
peer_endpoints() {
  local ip
  local -a urls=()
  for ip in $MEMBER_ADDRESSES; do
    [[ "$ip" == "$STABLE_IP" ]] || urls+=("https://$ip:$ETCD_CLIENT_PORT")
  done
  ((${#urls[@]} > 0)) || die "no other master to reach etcd through"
  (IFS=,; printf '%s\n' "${urls[*]}")
}

# peer_endpoints, then the other running masters' instance addresses: while a cluster built
# before stable addresses migrates, its members that have not moved yet listen only there.
# For the steps that need the other members' quorum (join, the one-time URL move).
peer_endpoints_with_instances() {
  local stable ips ip
  local -a urls=()
  stable="$(peer_endpoints)"
  ips="$(retry "${AWS:-aws}" ec2 describe-instances --output text \
    --filters "Name=tag:$TAG_CLUSTER,Values=$CLUSTER_NAME" "Name=tag:$TAG_ROLE,Values=master" \
    "Name=instance-state-name,Values=running" \
    --query 'Reservations[].Instances[].PrivateIpAddress')" || die "cannot list the other masters"
  for ip in $ips; do
    [[ "$ip" == "$NODE_IP" ]] || urls+=("https://$ip:$ETCD_CLIENT_PORT")
  done
  if ((${#urls[@]} == 0)); then
    printf '%s\n' "$stable"
  else
    (IFS=,; printf '%s,%s\n' "$stable" "${urls[*]}")
  fi
}

# The kubeadm configs: user-data's templates with this node's values (template.sh checks each).
# Values from command substitutions are captured first: as a command's argument, a failed
# "$(...)" is ignored even under errexit, so an unreadable token would reach the template empty.
write_init() {
  local token
  token="$(ssm_get_param "$SSM_PREFIX/join/token")" || die "cannot read the bootstrap token from SSM"
  fill_template "$KUBEADM_INIT_TEMPLATE" "$INIT_CONFIG" NODE_NAME="$NODE_NAME" BOOTSTRAP_TOKEN="$token" \
    PROVIDER_ID?="$PROVIDER_ID"
}
# The offline phases' config; its etcd peer certificate also names the instance's primary
# address, the source of this member's connections to its peers (etcd checks the client
# certificate of a peer against it). Per node, so never uploaded to the cluster.
write_local() {
  fill_template "$KUBEADM_LOCAL_TEMPLATE" "$LOCAL_CONFIG" NODE_NAME="$NODE_NAME" NODE_IP="$NODE_IP" \
    PROVIDER_ID?="$PROVIDER_ID"
}
write_join() {
  local token hash ca="${PKI_DIR:-/etc/kubernetes/pki}/ca.crt"
  token="$(ssm_get_param "$SSM_PREFIX/join/token")" || die "cannot read the bootstrap token from SSM"
  hash="$(ca_discovery_hash "$ca")" || die "cannot compute the discovery hash of $ca"
  fill_template "$KUBEADM_JOIN_TEMPLATE" "$JOIN_CONFIG" NODE_NAME="$NODE_NAME" BOOTSTRAP_TOKEN="$token" \
    DISCOVERY_HASH="$hash" PROVIDER_ID?="$PROVIDER_ID"
}

mark_initialised() {
  local rc=0
  ssm_put_once "$INIT_MARKER" "$INSTANCE_ID" || rc=$?
  case "$rc" in
    0) log "wrote $INIT_MARKER" ;;
    3) log "$INIT_MARKER already exists (written on an earlier boot)" ;;
    *) die "cannot write $INIT_MARKER" ;;
  esac
}

remove_stale_member() {
  local peers
  peers="$(peer_endpoints_with_instances)"
  etcd_remove_stale_member "$peers" "$SUBNET_CIDR" "$STABLE_IP" >/dev/null
}

# One add-on apply right after the pod network, so the cloud controller initialises the first
# Nodes without waiting for the timer. Not fatal: before `pulumi up` has written the add-on
# pointer there is nothing to apply, and the timer (every master, every minute) tries again.
apply_addons_after_cni() {
  K8SHA_ETCD_ENDPOINT="$ETCD_LOCAL_ENDPOINT" addons_apply_once ||
    log "the add-ons are not applied yet; the add-on timer tries again every minute"
}

mode_init() {
  run_step init-config write_init
  run_step kubeadm-init kubeadm_init_master "$INIT_CONFIG"
  # As soon as the member exists: a later failure must not leave a volume nobody may rejoin.
  run_step etcd-identity write_identity
  run_step initialised-marker mark_initialised
  run_step cni install_cni
  run_step addons apply_addons_after_cni
}

# etcd admits one learner at a time and kubeadm retries its member add for 2 minutes only
# (EtcdAPICallTimeout), while a learner's image pull and catch-up can take longer: masters that
# boot together take turns, through an etcd lock whose lease dies with a crashed holder.
join_under_lock() {
  local endpoints
  endpoints="$(peer_endpoints_with_instances)"
  log "waiting for the control-plane join lock through $endpoints"
  etcd_lock_run "$endpoints" k8sha/control-plane-join kubeadm_join_master "$JOIN_CONFIG"
}

mode_join() {
  run_step join-config write_join
  run_step etcd-stale-member remove_stale_member
  run_step kubeadm-join join_under_lock
  run_step etcd-identity write_identity
}

# A volume from before stable addresses: its member still has its old instance's address. Point
# it at the stable address before etcd starts, through the other members (needs their quorum).
# If the member was removed meanwhile, its data is useless ("permanently removed"): set it aside
# and join as a new member instead.
rejoin_move_peer_url() {
  local member peers rc=0
  member="$(etcd_read_identity member_id)" || die "no member id in $(etcd_identity_file)"
  peers="$(peer_endpoints_with_instances)"
  etcd_rejoin_update_peer "$peers" "$member" "$STABLE_PEER_URL" || rc=$?
  if ((rc == 3)); then
    set_aside_removed_member "$member"
    return 0
  fi
  ((rc == 0)) || die "cannot update the peer URL of etcd member $member"
}

# The member's data and its identity go to one folder on the volume, then the mode becomes join.
# Re-entrant: a reboot half-way finds the marker and finishes the same move.
set_aside_removed_member() {
  local marker="$K8SHA_STATE_DIR/set-aside" aside identity
  if [[ ! -s "$marker" ]]; then
    printf '%s\n' "$ETCD_MOUNT/removed-$(date -u +%Y%m%dT%H%M%SZ)" >"$marker"
  fi
  aside="$(<"$marker")"
  log "member $1 was removed from the cluster; moving its data and identity to $aside and joining anew"
  mkdir -p "$aside"
  identity="$(etcd_identity_file)"
  if [[ -d "$ETCD_DATA_DIR" ]]; then mv "$ETCD_DATA_DIR" "$aside/"; fi
  if [[ -f "$identity" ]]; then mv "$identity" "$aside/"; fi
  printf 'join\n' >"$K8SHA_STATE_DIR/boot-mode"
  rm -f "$marker"
}

# A member removed while this master was away would make its etcd exit ("permanently
# removed"). One pass over the other members, without retries: when some member answers and no
# longer lists ours, join anew; when none answers (no quorum, all masters coming back at once),
# start anyway, as the member most likely still exists.
rejoin_check_membership() {
  local member peers list
  member="$(etcd_read_identity member_id)" || die "no member id in $(etcd_identity_file)"
  peers="$(peer_endpoints)" || return 0
  if ! list="$(etcd_try_each "$peers" member list -w simple)"; then
    log "no other etcd member answers; starting member $member without asking"
    return 0
  fi
  if grep -q "^$member, " <<<"$list"; then
    log "etcd member $member is still in the cluster"
    return 0
  fi
  set_aside_removed_member "$member"
}

# A single master from before stable addresses: alone it is its own quorum, and etcd ignores the
# stored peer URL on restart; its URL is fixed through the local member once etcd runs.
rejoin_move_own_peer_url() {
  local member
  member="$(etcd_read_identity member_id)" || die "no member id in $(etcd_identity_file)"
  wait_until 600 "local etcd" _etcd_first_healthy "$ETCD_LOCAL_ENDPOINT" >/dev/null || die "local etcd never answered"
  etcd_rejoin_update_peer "$ETCD_LOCAL_ENDPOINT" "$member" "$STABLE_PEER_URL" ||
    die "cannot update the peer URL of etcd member $member"
  etcd_write_identity "$CLUSTER_NAME" "$member" "$STABLE_PEER_URL"
}

# The volume's member has the stable peer URL (written by this project since stable addresses).
member_has_stable_url() { [[ "$(etcd_read_identity peer_url 2>/dev/null)" == "$STABLE_PEER_URL" ]]; }

mode_rejoin() {
  local legacy=false
  if [[ -s "$K8SHA_STATE_DIR/set-aside" ]]; then
    set_aside_removed_member "(set aside on an earlier boot)"
    mode_join
    return 0
  fi
  member_has_stable_url || legacy=true
  if ((${MASTER_COUNT:-3} > 1)); then
    if [[ "$legacy" == true ]]; then
      run_step etcd-peer-url-migrate rejoin_move_peer_url
    else
      run_step etcd-membership rejoin_check_membership
    fi
    if [[ "$(cat "$K8SHA_STATE_DIR/boot-mode")" == join ]]; then
      mode_join
      return 0
    fi
  fi
  run_step kubeadm-rejoin kubeadm_rejoin "$LOCAL_CONFIG"
  if ((${MASTER_COUNT:-3} == 1)) && [[ "$legacy" == true ]]; then
    run_step etcd-peer-url-migrate-local rejoin_move_own_peer_url
  fi
  if ((${MASTER_COUNT:-3} > 1)) && [[ "$legacy" == true ]]; then
    run_step etcd-identity write_identity
  fi
  run_step mark-control-plane kubeadm_rejoin_mark "$LOCAL_CONFIG"
}

local_member_id() { etcd_member_id_for_peer_url "$ETCD_LOCAL_ENDPOINT" "$STABLE_PEER_URL"; }

write_identity() {
  local id
  wait_until 600 "local etcd member" local_member_id >/dev/null || die "local etcd never answered"
  id="$(local_member_id)"
  etcd_write_identity "$CLUSTER_NAME" "$id" "$STABLE_PEER_URL"
}

# External etcd: a master without etcd data boots its own way (lib/stateless-master.sh).
if [[ "${ETCD_TOPOLOGY:-stacked}" == external ]]; then
  stateless_master_boot
  exit 0
fi

run_step prereqs prepare_node "$KUBERNETES_VERSION"
step identity
load_node_identity
step etcd-volume
attach_etcd_volume
# Only after the volume claim: that proves the predecessor (which held the address) gone.
step stable-address
ensure_stable_address
STABLE_PEER_URL="https://$STABLE_IP:$ETCD_PEER_PORT"
run_step pki fetch_pki
run_step local-config write_local
# Before the first etcd step of any mode: the AMI has no etcdctl.
run_step etcd-tools etcd_tools_for_config "$LOCAL_CONFIG"
# Before kubeadm makes any: kubeadm keeps certificates that exist and have the SANs it needs.
run_step etcd-certs etcd_node_certs
step boot-mode
mode="$(persisted_boot_mode decide_boot_mode)"
log "boot mode: $mode"
case "$mode" in
  init) mode_init ;;
  join) mode_join ;;
  rejoin) mode_rejoin ;;
  *) die "unknown boot mode '$mode'" ;;
esac
# A replacement registers under a new name; nothing else deletes its predecessor's Node.
if [[ "$mode" != init ]]; then
  run_step stale-nodes remove_stale_control_plane_nodes "$SUBNET_CIDR" "$NODE_NAME" "$STABLE_IP"
fi
if [[ -n "${BACKUP_BUCKET:-}" ]]; then
  step etcd-backup-timer
  install_etcd_backup_timer "$BACKUP_BUCKET" "$BACKUP_PREFIX" "$BACKUP_INTERVAL_MINUTES" "$CLUSTER_NAME"
fi
# The timers are rewritten on every boot (their units follow this bundle's scripts).
step cert-renewal-timer
install_cert_renewal_timer
step worker-drain-timer
install_worker_drain_timer "$CLUSTER_NAME"
step addons-timer
install_addons_timer "$ADDONS_PARAMETER"
step node-health-timer
install_health_timer "$CLUSTER_NAME" "$AVAILABILITY_ZONE"
report_success
