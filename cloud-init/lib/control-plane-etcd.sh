# shellcheck shell=bash
# The etcd side of the control-plane operations (control-plane-ops.sh): the members, their health,
# alarms, leader and versions as the local member reports them, and moving the leadership. etcdctl
# through etcd-member.sh (etcdctl_at: v3 API, mutual TLS with the healthcheck-client certificate,
# dial and command timeouts), retried K8SHA_RETRY_MAX times. Sourced after control-plane-ops.sh.
#
# Environment: node.env (STABLE_IP, ETCD_CLIENT_PORT), and (optional)
#   K8SHA_ETCD_ENDPOINT  the local member's client URL       (https://$STABLE_IP:$ETCD_CLIENT_PORT)

cpo_endpoint() {
  # External etcd: the master is no member; every etcd node's client URL (node.env ETCD_ENDPOINTS).
  if [[ "${ETCD_TOPOLOGY:-stacked}" == external ]]; then
    printf '%s\n' "${K8SHA_ETCD_ENDPOINT:-${ETCD_ENDPOINTS:?ETCD_ENDPOINTS must be set (node.env)}}"
    return 0
  fi
  printf '%s\n' "${K8SHA_ETCD_ENDPOINT:-https://${STABLE_IP:?STABLE_IP must be set (node.env)}:${ETCD_CLIENT_PORT:?ETCD_CLIENT_PORT must be set (node.env)}}"
}

# cpo_etcd_members MASTERS : how many etcd members the cluster has: one per master (stacked), or
# the etcd nodes' count (external, node.env ETCD_MEMBER_COUNT).
cpo_etcd_members() {
  if [[ "${ETCD_TOPOLOGY:-stacked}" == external ]]; then
    printf '%s\n' "${ETCD_MEMBER_COUNT:?ETCD_MEMBER_COUNT must be set (node.env)}"
  else
    printf '%s\n' "$1"
  fi
}

# cpo_etcd_status : set CPO_STATUS to one line per member that answered `endpoint status
# --cluster`: ENDPOINT|MEMBER_ID|LEADER_ID|VERSION|IS_LEARNER (ids decimal, as `-w fields` prints
# them). Status 0 when every member answered, 1 when some did not (their lines are missing: etcdctl
# prints the others and fails), 2 when none did. Retried like `retry` while incomplete.
cpo_etcd_status() {
  local attempt=1 rc out
  while true; do
    rc=0
    out="$(etcdctl_at "$(cpo_endpoint)" endpoint status --cluster -w fields 2>/dev/null)" || rc=1
    CPO_STATUS="$(awk -F' : ' '{ k = $1; v = $2; gsub(/"/, "", k); gsub(/"/, "", v) }
      k == "MemberID" { m = v } k == "Leader" { l = v } k == "Version" { ver = v } k == "IsLearner" { lr = v }
      k == "Endpoint" { print v "|" m "|" l "|" ver "|" lr; m = l = ver = lr = "" }' <<<"$out")"
    if ((rc == 0)); then return 0; fi
    if ((attempt >= ${K8SHA_RETRY_MAX:-8})); then
      log "etcdctl endpoint status --cluster through $(cpo_endpoint) failed $attempt times"
      [[ -n "$CPO_STATUS" ]] && return 1
      return 2
    fi
    sleep "$(backoff_seconds "$attempt")"
    attempt=$((attempt + 1))
  done
}

# cpo_member_of_endpoint MEMBERS URL : the member-list line (etcd_member_list) whose client URLs
# include URL.
cpo_member_of_endpoint() {
  local id status name peers clients learner
  while IFS='|' read -r id status name peers clients learner; do
    if [[ -n "$id" && ",$clients," == *",$2,"* ]]; then
      printf '%s|%s|%s|%s|%s|%s\n' "$id" "$status" "$name" "$peers" "$clients" "$learner"
      return 0
    fi
  done <<<"$1"
  return 1
}

# cpo_leader : print the leader's client URL from CPO_STATUS when exactly one member says it leads
# and every member names the same leader; else print why not and fail.
cpo_leader() {
  local endpoint member leader _rest leaders=() named=""
  while IFS='|' read -r endpoint member leader _rest; do
    [[ -n "$endpoint" ]] || continue
    if [[ "$leader" == 0 ]]; then
      echo "$endpoint has no leader"
      return 1
    fi
    if [[ -n "$named" && "$leader" != "$named" ]]; then
      echo "members disagree on the leader ($named, $leader)"
      return 1
    fi
    named="$leader"
    if [[ "$member" == "$leader" ]]; then leaders+=("$endpoint"); fi
  done <<<"$CPO_STATUS"
  if ((${#leaders[@]} != 1)); then
    echo "${#leaders[@]} members say they lead (${leaders[*]})"
    return 1
  fi
  printf '%s\n' "${leaders[0]}"
}

# cpo_preflight_etcd MASTERS : the etcd checks of preflight.
cpo_preflight_etcd() {
  local want="$1" endpoint members count=0 id _status name peers clients learner health bad alarms leader
  local -a unstarted=() learners=()
  endpoint="$(cpo_endpoint)"
  if ! members="$(etcd_member_list "$endpoint")"; then
    cpo_fail etcd-members "cannot list the etcd members through $endpoint"
  else
    while IFS='|' read -r id _status name peers clients learner; do
      [[ -n "$id" ]] || continue
      count=$((count + 1))
      if [[ -z "$name" || -z "$clients" ]]; then unstarted+=("$id ($peers)"); fi
      if [[ "$learner" == true ]]; then learners+=("$id ($peers)"); fi
    done <<<"$members"
    if ((count == want)); then cpo_ok etcd-members "$count"; else cpo_fail etcd-members "$count members, expected $want"; fi
    if ((${#unstarted[@]} == 0)); then cpo_ok etcd-started "every member started"; else
      cpo_fail etcd-started "not started: ${unstarted[*]}"
    fi
    if ((${#learners[@]} == 0)); then cpo_ok etcd-voting "no learner"; else cpo_fail etcd-voting "learners: ${learners[*]}"; fi
  fi
  if health="$(retry etcdctl_at "$endpoint" endpoint health --cluster 2>&1)"; then
    # Each attempt of `retry` printed its lines: count each endpoint once.
    cpo_ok etcd-health "$(grep -o '^[^ ]* is healthy' <<<"$health" | sort -u | wc -l) endpoints healthy"
  else
    bad="$(grep -o '^[^ ]* is unhealthy' <<<"$health" | sed 's/ is unhealthy//' | sort -u | tr '\n' ' ' | sed 's/ *$//')"
    cpo_fail etcd-health "${bad:-$(tail -n 1 <<<"$health")} unhealthy"
  fi
  if ! alarms="$(retry etcdctl_at "$endpoint" alarm list)"; then
    cpo_fail etcd-alarms "cannot list the alarms through $endpoint"
  elif [[ -n "${alarms//[[:space:]]/}" ]]; then
    cpo_fail etcd-alarms "$(tr '\n' ' ' <<<"$alarms" | sed 's/ *$//')"
  else
    cpo_ok etcd-alarms "none"
  fi
  if ! cpo_etcd_status; then
    cpo_fail etcd-leader "not every member answered endpoint status (answered: $(cut -d'|' -f1 <<<"$CPO_STATUS" | tr '\n' ' ' | sed 's/ *$//'))"
  elif leader="$(cpo_leader)"; then
    cpo_ok etcd-leader "one leader, $leader"
  else
    cpo_fail etcd-leader "$leader"
  fi
}

# cpo_member_versions : "NAME VERSION" per etcd member ("unknown" for one that did not answer).
cpo_member_versions() {
  local members id _status name _peers clients _learner version
  members="$(etcd_member_list "$(cpo_endpoint)")" || return 1
  cpo_etcd_status || true
  while IFS='|' read -r id _status name _peers clients _learner; do
    [[ -n "$id" ]] || continue
    version="$(awk -F'|' -v urls=",$clients," 'index(urls, "," $1 ",") { print $4; exit }' <<<"$CPO_STATUS")"
    printf '%s %s\n' "${name:-$id}" "${version:-unknown}"
  done <<<"$members"
}

# cpo_move_leader IP : leadership off the member whose peer URL host is IP, to another started,
# voting, healthy member; `move-leader` is only accepted by the current leader.
cpo_move_leader() {
  local ip="$1" members leader="" row id _status name peers clients learner url target="" target_name _rest
  if ! members="$(etcd_member_list "$(cpo_endpoint)")" || ! cpo_etcd_status || ! leader="$(cpo_leader)"; then
    cpo_fail move-leader "cannot tell the etcd leader through $(cpo_endpoint)${leader:+: $leader}"
    return 0
  fi
  row="$(cpo_member_of_endpoint "$members" "$leader")" || {
    cpo_fail move-leader "the leader $leader is no member"
    return 0
  }
  IFS='|' read -r id _status name peers _rest <<<"$row"
  if [[ "$(url_host "${peers%%,*}")" != "$ip" ]]; then
    cpo_ok move-leader "the leader is $name ($peers), not at $ip: nothing to move"
    return 0
  fi
  while IFS='|' read -r id _status target_name peers clients learner; do
    [[ -n "$id" && -n "$target_name" && -n "$clients" && "$learner" != true ]] || continue
    [[ "$row" != "$id|"* ]] || continue
    url="${clients%%,*}"
    if etcdctl_at "$url" endpoint health >/dev/null 2>&1; then
      target="$id"
      break
    fi
  done <<<"$members"
  if [[ -z "$target" ]]; then
    cpo_fail move-leader "no other started, voting, healthy member to lead instead of $name"
    return 0
  fi
  # A retry after a lost reply reaches a member that no longer leads and fails: the check decides.
  if ! retry etcdctl_at "$leader" move-leader "$target" >&2 && ! _cpo_leader_moved "$ip"; then
    cpo_fail move-leader "etcdctl move-leader $target at $leader failed"
    return 0
  fi
  if wait_until 30 "a new etcd leader" _cpo_leader_moved "$ip"; then
    cpo_ok move-leader "leadership moved from $name to $target_name"
  else
    cpo_fail move-leader "the leader is still at $ip or unknown after move-leader"
  fi
}

_cpo_leader_moved() {
  local leader members row
  cpo_etcd_status || return 1
  leader="$(cpo_leader)" || return 1
  members="$(etcd_member_list "$(cpo_endpoint)")" || return 1
  row="$(cpo_member_of_endpoint "$members" "$leader")" || return 1
  [[ "$(url_host "$(cut -d'|' -f4 <<<"$row" | cut -d, -f1)")" != "$1" ]]
}

