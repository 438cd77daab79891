# shellcheck shell=bash
# How a dedicated etcd node's member enters the cluster (external topology). Sourced after
# common.sh, ssm.sh, etcd-member.sh and etcd-node.sh. The mode is decided once per volume:
#   new     no member data, no cluster yet and this member never bootstrapped: every member
#           starts with the same initial cluster (member i at the i-th stable address) and they
#           elect a leader together
#   join    no member data, the cluster exists: this member's stale entry (same stable address)
#           is removed, the member is added back as a learner and promoted once it caught up,
#           one node at a time under an etcd lock
#   rejoin  the volume holds this member's data: it starts as the same member at the same
#           address, no membership change, no peer needed first
#
# Inputs (node.env): ETCD_INIT_MARKER, ETCD_DATA_DIR, ETCD_MOUNT, plus etcd-node.sh's.
# Environment (optional): ETCD_QUORUM_WAIT_SECONDS (1800), ETCD_PROMOTE_WAIT_SECONDS (900)

# etcd_node_peers : every other member's client URL, comma-separated.
etcd_node_peers() {
  local ip
  local -a urls=()
  for ip in $MEMBER_ADDRESSES; do
    [[ "$ip" == "$STABLE_IP" ]] || urls+=("https://$ip:$ETCD_CLIENT_PORT")
  done
  ((${#urls[@]} > 0)) || die "MEMBER_ADDRESSES names no other etcd member"
  (IFS=,; printf '%s\n' "${urls[*]}")
}

etcd_node_peer_url() { printf 'https://%s:%s\n' "$STABLE_IP" "$ETCD_PEER_PORT"; }

# etcd_node_has_data : the volume holds a member (etcd's own layout: <data-dir>/member/wal).
etcd_node_has_data() { [[ -d "$ETCD_DATA_DIR/member/wal" ]]; }

# _ssm_parameter_state NAME : 0 when the parameter exists, 1 when SSM answers ParameterNotFound,
# 2 on any other error (logged).
_ssm_parameter_state() {
  local out
  if out="$("${AWS:-aws}" ssm get-parameter --name "$1" --query Parameter.Name --output text 2>&1)"; then
    return 0
  fi
  if [[ "$out" == *ParameterNotFound* ]]; then return 1; fi
  log "cannot read $1: $out"
  return 2
}

# ssm_parameter_exists NAME : whether NAME exists; errors other than "not found" (throttling, a
# network blip) are retried with back-off, K8SHA_RETRY_MAX times, then fatal.
ssm_parameter_exists() {
  local attempt rc
  for ((attempt = 1; attempt <= ${K8SHA_RETRY_MAX:-8}; attempt++)); do
    rc=0
    _ssm_parameter_state "$1" || rc=$?
    if ((rc < 2)); then return "$rc"; fi
    sleep "$(backoff_seconds "$attempt")"
  done
  die "cannot tell whether SSM parameter $1 exists"
}

# etcd_member_marker : `<ETCD_INIT_MARKER>-member-<i>`, written by member i just before its
# first bootstrap start. A blank volume of a member that bootstrapped before must join: started
# again with `new`, it would come back under its old, deterministic member id with an empty log
# and no memory of its votes (etcd's membership.NewMember hashes the name, URLs and token).
etcd_member_marker() { printf '%s-member-%s\n' "$ETCD_INIT_MARKER" "$ETCD_MEMBER"; }

# etcd_cluster_exists : the cluster marker or this member's bootstrap marker is written, or a
# peer answers `member list` (from etcd 3.5 a linearizable read: a quorum runs).
etcd_cluster_exists() {
  if ssm_parameter_exists "$ETCD_INIT_MARKER"; then
    log "$ETCD_INIT_MARKER exists: the etcd cluster was bootstrapped before"
    return 0
  fi
  if ssm_parameter_exists "$(etcd_member_marker)"; then
    log "$(etcd_member_marker) exists: member $ETCD_MEMBER bootstrapped before, so this blank volume joins"
    return 0
  fi
  if etcd_try_each "$(etcd_node_peers)" member list >/dev/null 2>&1; then
    log "no $ETCD_INIT_MARKER yet, but a peer answers: the cluster runs"
    return 0
  fi
  return 1
}

# etcd_node_claim_bootstrap : this member's bootstrap marker, before its first `new` start.
etcd_node_claim_bootstrap() {
  local rc=0
  ssm_put_once "$(etcd_member_marker)" "$INSTANCE_ID" || rc=$?
  case "$rc" in
    0) log "wrote $(etcd_member_marker)" ;;
    3) die "$(etcd_member_marker) appeared meanwhile: another instance bootstrapped member $ETCD_MEMBER" ;;
    *) die "cannot write $(etcd_member_marker)" ;;
  esac
}

# etcd_node_decide_mode : print new, join or rejoin (see the top of this file).
etcd_node_decide_mode() {
  if etcd_node_has_data; then
    echo rejoin
  elif etcd_cluster_exists; then
    echo join
  else
    echo new
  fi
}

etcd_node_mode_file() { printf '%s\n' "$K8SHA_STATE_DIR/etcd-boot-mode"; }

# etcd_node_mode : the mode, decided on this instance's first boot and kept on its root volume,
# so a reboot half-way resumes the same path; a replacement instance decides afresh from the
# volume it claimed.
etcd_node_mode() {
  local file
  file="$(etcd_node_mode_file)"
  if [[ ! -s "$file" ]]; then
    etcd_node_decide_mode >"$file.tmp"
    mv -f "$file.tmp" "$file"
  fi
  cat "$file"
}

# etcd_node_wait_healthy SECONDS : until this member serves with quorum.
etcd_node_wait_healthy() {
  wait_until "$1" "etcd member $(etcd_member_name) to serve with quorum" etcd_local_healthy ||
    die "etcd member $(etcd_member_name) did not serve with quorum within $1 s"
}

# etcd_node_mark_initialised : the marker, written once (put without --overwrite).
etcd_node_mark_initialised() {
  local rc=0
  ssm_put_once "$ETCD_INIT_MARKER" "$(etcd_member_name)" || rc=$?
  case "$rc" in
    0) log "wrote $ETCD_INIT_MARKER" ;;
    3) log "$ETCD_INIT_MARKER exists already" ;;
    *) die "cannot write $ETCD_INIT_MARKER" ;;
  esac
}

# etcd_node_record_identity : the member id and peer URL on the volume (etcd_write_identity).
etcd_node_record_identity() {
  local id
  id="$(etcd_member_id_for_peer_url "https://$(etcd_local_host):$ETCD_CLIENT_PORT" "$(etcd_node_peer_url)")" ||
    die "the cluster lists no member at $(etcd_node_peer_url)"
  etcd_write_identity "$CLUSTER_NAME" "$id" "$(etcd_node_peer_url)"
}

etcd_node_bootstrap() {
  run_step etcd-bootstrap-claim etcd_node_claim_bootstrap
  run_step etcd-unit etcd_node_unit new "$(etcd_initial_cluster)"
  run_step etcd-start etcd_node_start
  step etcd-quorum
  etcd_node_wait_healthy "${ETCD_QUORUM_WAIT_SECONDS:-1800}"
  run_step etcd-identity etcd_node_record_identity
  run_step etcd-initialised etcd_node_mark_initialised
}

# _etcd_node_add_learner PEERS : under the join lock. This address's member with data that is
# gone (it has a name: it ran) is removed; an unstarted one (a bootstrap entry never started,
# or an add whose start was cut off) is kept; none: added as a learner. Then the unit with the
# cluster's members as the initial cluster, the start, and the promotion once caught up.
_etcd_node_add_learner() {
  local peers="$1" me url list id status name purls _clients _learner initial="" started=false
  url="$(etcd_node_peer_url)"
  # An earlier attempt of this join started the learner (the volume was blank when the mode was
  # decided): it is this node's own member, never a predecessor to remove. Finish its promotion.
  if etcd_node_has_data; then
    log "this volume holds the learner an earlier attempt of this join started: finishing its promotion"
    etcd_node_start
    _etcd_node_wait_promoted "$peers" "$url"
    return 0
  fi
  list="$(etcd_member_list "$peers")" || die "cannot list etcd members through $peers"
  while IFS='|' read -r id status name purls _clients _learner; do
    [[ ",$purls," == *",$url,"* ]] || continue
    if [[ -n "$name" ]]; then
      log "etcd member $id ($name, $status) at $url is this node's predecessor, its data gone: removing it"
      retry _etcd_remove_member "$peers" "$id" || die "could not remove etcd member $id"
    else
      log "etcd member $id at $url is added but not started: starting it"
      started=true
    fi
  done <<<"$list"
  if [[ "$started" != true ]]; then
    log "adding $(etcd_member_name) at $url as a learner through $peers"
    retry etcd_try_each "$peers" member add "$(etcd_member_name)" --peer-urls="$url" --learner >/dev/null ||
      die "could not add $(etcd_member_name) as a learner"
  fi
  list="$(etcd_member_list "$peers")" || die "cannot list etcd members through $peers"
  while IFS='|' read -r id status name purls _clients _learner; do
    [[ ",$purls," == *",$url,"* ]] && name="$(etcd_member_name)"
    # A member of the bootstrap list that never started has no name yet: its name is its position.
    [[ -n "$name" ]] || name="$(_etcd_name_of_peer_url "${purls%%,*}")"
    initial="${initial:+$initial,}$name=${purls%%,*}"
  done <<<"$list"
  etcd_node_unit existing "$initial"
  etcd_node_start
  _etcd_node_wait_promoted "$peers" "$url"
}

# _etcd_node_wait_promoted PEERS URL : until the member at URL is a voting member (bounded).
_etcd_node_wait_promoted() {
  local me wait="${ETCD_PROMOTE_WAIT_SECONDS:-900}"
  me="$(etcd_member_id_for_peer_url "$1" "$2")" || die "the cluster lists no member at $2"
  wait_until "$wait" "learner $me to catch up and be promoted" _etcd_node_promote "$1" "$me" ||
    die "learner $me was not promoted within $wait s"
}

# _etcd_name_of_peer_url URL : the member name of the MEMBER_ADDRESSES entry URL names.
_etcd_name_of_peer_url() {
  local ip i=0
  for ip in $MEMBER_ADDRESSES; do
    if [[ "$1" == "https://$ip:$ETCD_PEER_PORT" ]]; then
      etcd_member_name "$i"
      return 0
    fi
    i=$((i + 1))
  done
  die "peer URL $1 is no etcd node of this cluster"
}

# _etcd_node_promote PEERS ID : promote learner ID; true once it is a voting member (etcd
# refuses the promotion until the learner has caught up with the leader's log).
_etcd_node_promote() {
  local list
  list="$(etcd_member_list "$1")" || return 1
  if grep -q "^$2|.*|false$" <<<"$list"; then return 0; fi
  etcd_try_each "$1" member promote "$2" >/dev/null 2>&1 || return 1
  log "learner $2 caught up and was promoted to a voting member"
}

# etcd_node_join_under_lock : one learner at a time (etcd admits one by default), through a lock
# whose lease dies with a crashed holder.
etcd_node_join_under_lock() {
  local peers
  peers="$(etcd_node_peers)"
  log "joining the running etcd cluster through $peers"
  etcd_lock_run "$peers" k8sha/etcd-join _etcd_node_add_learner "$peers" || die "could not join the etcd cluster"
}

etcd_node_join() {
  run_step etcd-join etcd_node_join_under_lock
  step etcd-quorum
  etcd_node_wait_healthy "${ETCD_QUORUM_WAIT_SECONDS:-1800}"
  run_step etcd-identity etcd_node_record_identity
}

# etcd_node_rejoin : the same member, as it was; a member removed meanwhile would make etcd exit
# ("permanently removed"), so when a peer answers and no longer lists the volume's member, its
# data is set aside on the volume and the node joins anew.
etcd_node_rejoin() {
  local member list aside
  member="$(etcd_read_identity member_id 2>/dev/null)" || member=""
  if [[ -n "$member" ]] && list="$(etcd_try_each "$(etcd_node_peers)" member list -w simple 2>/dev/null)"; then
    if ! grep -q "^$member, " <<<"$list"; then
      aside="$ETCD_MOUNT/removed-$(date -u +%Y%m%dT%H%M%SZ)"
      log "etcd member $member was removed from the cluster: moving its data to $aside and joining anew"
      mkdir -p "$aside"
      mv "$ETCD_DATA_DIR" "$aside/"
      mv "$(etcd_identity_file)" "$aside/"
      printf 'join\n' >"$(etcd_node_mode_file)"
      etcd_node_join
      return 0
    fi
    log "etcd member $member is still in the cluster"
  fi
  # The unit a previous boot wrote is kept; a new instance writes one (its flags are ignored
  # with data present).
  [[ -f "$K8SHA_ETCD_UNIT" ]] || etcd_node_unit existing "$(etcd_initial_cluster)"
  etcd_node_start
  # A join cut off after the learner started leaves data but no identity: finish the promotion.
  if [[ -z "$member" ]]; then
    _etcd_node_wait_promoted "$(etcd_node_peers)" "$(etcd_node_peer_url)"
  fi
  step etcd-quorum
  etcd_node_wait_healthy "${ETCD_QUORUM_WAIT_SECONDS:-1800}"
  run_step etcd-identity etcd_node_record_identity
}
