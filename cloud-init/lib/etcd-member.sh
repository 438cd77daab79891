# shellcheck shell=bash
# etcd membership for a master that replaces (or restarts as) one member of the stacked etcd
# cluster kubeadm built. Sourced after common.sh. etcdctl (etcd-tools.sh) v3 API with mutual TLS; every call
# carries --dial-timeout/--command-timeout and goes through `retry`.
#
# Environment (defaults suit a kubeadm master; tests point them at loopback and temp dirs):
#   K8SHA_ETCDCTL           etcdctl binary (etcd-tools.sh)    (/opt/k8sha/etcd/etcdctl)
#   ETCDCTL_CACERT          etcd CA certificate       (/etc/kubernetes/pki/etcd/ca.crt)
#   ETCDCTL_CERT/_KEY       client cert/key (/etc/kubernetes/pki/etcd/healthcheck-client.*)
#   ETCD_DIAL_TIMEOUT       etcdctl --dial-timeout                          (2s)
#   ETCD_COMMAND_TIMEOUT    etcdctl --command-timeout                       (5s)
#   ETCD_STALE_PROBES       health probes of a suspected-stale member       (3)
#   ETCD_STALE_PROBE_INTERVAL  seconds between those probes                 (1)
#   ETCD_MOUNT              where the etcd volume is mounted (node.env; needed without the next)
#   ETCD_IDENTITY_FILE      identity file on the volume        ($ETCD_MOUNT/k8sha-identity)

# etcdctl_command ENDPOINTS : set ETCDCTL_COMMAND to the etcdctl command line (v3 API, mutual TLS,
# dial timeout) against comma-separated ENDPOINTS. Through `env`, which execs etcdctl, so that a
# background run's $! is etcdctl itself (etcd_lock_run signals it).
etcdctl_command() {
  local client=/etc/kubernetes/pki/etcd/healthcheck-client
  # A master of the external topology has no etcd certificate of its own: it reaches the etcd
  # nodes as the API server does, with the API server's client pair.
  if [[ "${ETCD_TOPOLOGY:-stacked}" == external ]]; then client=/etc/kubernetes/pki/apiserver-etcd-client; fi
  ETCDCTL_COMMAND=(env ETCDCTL_API=3
    "ETCDCTL_CACERT=${ETCDCTL_CACERT:-/etc/kubernetes/pki/etcd/ca.crt}"
    "ETCDCTL_CERT=${ETCDCTL_CERT:-$client.crt}"
    "ETCDCTL_KEY=${ETCDCTL_KEY:-$client.key}"
    "$K8SHA_ETCDCTL" --endpoints="$1" --dial-timeout="${ETCD_DIAL_TIMEOUT:-2s}")
}

# etcdctl_at ENDPOINTS ARGS... : one etcdctl call (no retry) against comma-separated ENDPOINTS.
etcdctl_at() {
  local -a ETCDCTL_COMMAND
  etcdctl_command "$1"
  shift
  "${ETCDCTL_COMMAND[@]}" --command-timeout="${ETCD_COMMAND_TIMEOUT:-5s}" "$@"
}

# ipv4_to_int A.B.C.D : print the address as a 32-bit integer; fails on a malformed address.
ipv4_to_int() {
  local ip="$1" a b c d octet
  [[ "$ip" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || return 1
  a="${BASH_REMATCH[1]}" b="${BASH_REMATCH[2]}" c="${BASH_REMATCH[3]}" d="${BASH_REMATCH[4]}"
  for octet in "$a" "$b" "$c" "$d"; do
    ((10#$octet <= 255)) || return 1
  done
  printf '%s\n' $(((10#$a << 24) | (10#$b << 16) | (10#$c << 8) | 10#$d))
}

# ipv4_in_cidr IP CIDR : true when IP lies inside CIDR (pure bash, no ipcalc on the AMI).
ipv4_in_cidr() {
  local ip="$1" cidr="$2" net prefix ip_int net_int mask
  net="${cidr%/*}" prefix="${cidr#*/}"
  [[ "$cidr" == */* && "$prefix" =~ ^[0-9]{1,2}$ ]] && ((prefix <= 32)) || return 1
  ip_int="$(ipv4_to_int "$ip")" || return 1
  net_int="$(ipv4_to_int "$net")" || return 1
  mask=$(((0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF))
  (((ip_int & mask) == (net_int & mask)))
}

# url_host URL : the host part of scheme://host:port (IPv4 or name).
url_host() {
  local rest="${1#*://}"
  rest="${rest%%/*}"
  printf '%s\n' "${rest%:*}"
}

# etcd_try_each ENDPOINTS ARGS... : one etcdctl call (no retry) against each of the
# comma-separated ENDPOINTS in turn until one succeeds; prints that one's output. Each failure is
# logged with etcdctl's own last error lines, so a client-side cause (a missing CA file, a
# conflicting ETCDCTL_* variable) is not mistaken for an unhealthy cluster. Called under `retry`,
# every attempt tries every endpoint again: a retry never sticks to one dead peer.
etcd_try_each() {
  local endpoints="$1" endpoint out err cause
  shift
  err="$(mktemp)"
  for endpoint in ${endpoints//,/ }; do
    if out="$(etcdctl_at "$endpoint" "$@" 2>"$err")"; then
      rm -f "$err"
      printf '%s\n' "$out"
      return 0
    fi
    # The last two lines: `endpoint health` puts the cause above its final "unhealthy cluster".
    cause="$(tail -n 2 "$err")"
    log "etcdctl $1 at $endpoint failed: ${cause//$'\n'/ }"
  done
  rm -f "$err"
  return 1
}

# etcd_healthy_endpoint ENDPOINT... : print the first endpoint whose `endpoint health` succeeds
# (all of them tried on every retry).
etcd_healthy_endpoint() {
  retry _etcd_first_healthy "$@"
}

_etcd_first_healthy() {
  local endpoint
  for endpoint in "$@"; do
    if etcd_try_each "$endpoint" endpoint health >/dev/null; then
      printf '%s\n' "$endpoint"
      return 0
    fi
  done
  return 1
}

# etcd_member_list ENDPOINTS : one line per member, fields separated by '|':
#   ID|STATUS|NAME|PEER_URLS|CLIENT_URLS|IS_LEARNER   (ID in hex, URLs comma-joined).
# `-w simple` separates fields with ", " and URLs with "," only; an unstarted member has an
# empty name and no client URLs, hence a non-whitespace separator (empty fields survive read).
etcd_member_list() {
  local out
  out="$(retry etcd_try_each "$1" member list -w simple)" || return 1
  sed '/^$/d; s/, /|/g' <<<"$out"
}

# etcd_member_id_for_peer_url ENDPOINTS PEER_URL : print the hex id of the member that
# has PEER_URL; exit 1 when no member has it (2 when the cluster could not be asked).
etcd_member_id_for_peer_url() {
  local list id _status _name peers _rest
  list="$(etcd_member_list "$1")" || return 2
  while IFS='|' read -r id _status _name peers _rest; do
    if [[ ",$peers," == *",$2,"* ]]; then
      printf '%s\n' "$id"
      return 0
    fi
  done <<<"$list"
  return 1
}

# _etcd_member_answers CLIENT_URLS : true when any of the comma-separated URLs is healthy,
# probed ETCD_STALE_PROBES times, ETCD_STALE_PROBE_INTERVAL apart. One success is enough: a false "dead"
# verdict would remove a live member, so the probe errs on the side of "alive".
_etcd_member_answers() {
  local urls="$1" probe probes="${ETCD_STALE_PROBES:-3}"
  [[ -n "$urls" ]] || return 1
  for ((probe = 1; probe <= probes; probe++)); do
    if etcdctl_at "$urls" endpoint health >/dev/null 2>&1; then return 0; fi
    ((probe == probes)) || sleep "${ETCD_STALE_PROBE_INTERVAL:-1}"
  done
  return 1
}

# etcd_remove_stale_member ENDPOINTS MY_SUBNET_CIDR [MY_STABLE_IP] : with one master per zone, a member whose
# peer URL lies in MY subnet is this zone's lost predecessor: at this master's own stable address
# (a blank volume replaced its data), or at an instance address from before stable addresses.
# Only called in join mode, where this node runs no etcd yet, so no such member can be this
# node. Removed through ENDPOINTS (comma-separated peers). A member at MY_STABLE_IP is removed
# without probing it: this instance holds that address and runs no etcd. Any other one is
# probed first, and refused (exit 1, nothing removed) when still healthy: two live masters in
# one zone is a bug to surface, not to paper over. Prints the removed ids.
etcd_remove_stale_member() {
  local endpoints="$1" cidr="$2" stable="${3:-}" list id status name peers clients _learner url host
  local -a stale=()
  list="$(etcd_member_list "$endpoints")" || die "cannot list etcd members through $endpoints"
  while IFS='|' read -r id status name peers clients _learner; do
    for url in ${peers//,/ }; do
      host="$(url_host "$url")"
      if ! ipv4_in_cidr "$host" "$cidr"; then continue; fi
      if [[ "$host" != "$stable" ]] && _etcd_member_answers "$clients"; then
        log "REFUSING: etcd member $id ($name, $url) is in my subnet $cidr and still HEALTHY;" \
          "two masters in one zone must be resolved by an operator"
        return 1
      fi
      log "etcd member $id ($name, $status, $url) is this zone's lost predecessor"
      stale+=("$id")
      break
    done
  done <<<"$list"
  for id in "${stale[@]}"; do
    log "removing stale etcd member $id through $endpoints"
    retry _etcd_remove_member "$endpoints" "$id" || die "could not remove etcd member $id"
    printf '%s\n' "$id"
  done
  if ((${#stale[@]} == 0)); then log "no stale etcd member in $cidr"; fi
}

# _etcd_remove_member ENDPOINTS ID : idempotent `member remove` (already gone counts as done).
_etcd_remove_member() {
  if ! etcd_member_list "$1" | grep -q "^$2|"; then return 0; fi
  etcd_try_each "$1" member remove "$2" >/dev/null
}

# etcd_rejoin_update_peer ENDPOINTS MEMBER_ID NEW_PEER_URL : point the member this volume's data
# belongs to at NEW_PEER_URL. Only for volumes from before stable addresses (their member still
# has an instance address); needs quorum. Must run BEFORE the local etcd starts
# (etcd ignores --initial-* flags once its data dir exists). Idempotent. Exit 3 when the
# member is no longer in the cluster: its data would make etcd exit with "member has been
# permanently removed", so the caller must set the data aside and join as a new member.
etcd_rejoin_update_peer() {
  local endpoint="$1" member_id="$2" new_url="$3" list id _status _name peers _rest
  list="$(etcd_member_list "$endpoint")" || die "cannot list etcd members through $endpoint"
  while IFS='|' read -r id _status _name peers _rest; do
    [[ "$id" == "$member_id" ]] || continue
    if [[ "$peers" == "$new_url" ]]; then
      log "etcd member $member_id already has peer URL $new_url"
      return 0
    fi
    log "updating etcd member $member_id peer URL $peers -> $new_url"
    retry etcd_try_each "$endpoint" member update "$member_id" --peer-urls="$new_url" >/dev/null ||
      die "could not update etcd member $member_id"
    return 0
  done <<<"$list"
  log "etcd member $member_id is not in the cluster any more (removed?)"
  return 3
}

# etcd_identity_file : where the identity of the volume's data is recorded.
etcd_identity_file() {
  printf '%s\n' "${ETCD_IDENTITY_FILE:-${ETCD_MOUNT:?ETCD_MOUNT must be set}/k8sha-identity}"
}

# etcd_write_identity CLUSTER_NAME MEMBER_ID [PEER_URL] : record, on the volume, which cluster and
# member the data belongs to and the member's peer URL (a replacement compares it with its own
# stable address; volumes written before stable addresses have none). Written after init/join
# succeeded; atomic (temp file + rename).
etcd_write_identity() {
  local file tmp
  file="$(etcd_identity_file)"
  tmp="$file.tmp.$$"
  mkdir -p "$(dirname "$file")"
  {
    printf 'cluster=%s\nmember_id=%s\n' "$1" "$2"
    if [[ -n "${3:-}" ]]; then printf 'peer_url=%s\n' "$3"; fi
    printf 'written_at=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } >"$tmp"
  mv -f "$tmp" "$file"
  log "etcd identity written: cluster=$1 member_id=$2${3:+ peer_url=$3}"
}

# etcd_read_identity FIELD : print FIELD (cluster | member_id | peer_url) of the identity file; exit 1
# when the file or the field is missing.
etcd_read_identity() {
  local file key value
  file="$(etcd_identity_file)"
  [[ -f "$file" ]] || return 1
  while IFS='=' read -r key value; do
    if [[ "$key" == "$1" && -n "$value" ]]; then
      printf '%s\n' "$value"
      return 0
    fi
  done <"$file"
  return 1
}

# etcd_lock_run ENDPOINTS NAME COMMAND... : run COMMAND (a shell function is fine) while holding
# the etcd lock NAME (`etcdctl lock`: a key under a lease of ETCD_LOCK_TTL seconds, kept alive
# while etcdctl runs; a holder that dies loses it when the lease expires; SIGINT unlocks at once).
# Waits at most ETCD_LOCK_WAIT_SECONDS for the lock; an etcdctl that fails before holding it (no
# quorum, a dial timeout) is retried with back-off, K8SHA_RETRY_MAX times. Returns COMMAND's status.
etcd_lock_run() {
  local endpoints="$1" name="$2" dir pid line rc=0 attempt=1 held=false fd
  local deadline=$(($(date +%s) + ${ETCD_LOCK_WAIT_SECONDS:-1800}))
  local -a ETCDCTL_COMMAND
  etcdctl_command "$endpoints"
  shift 2
  dir="$(mktemp -d)"
  mkfifo "$dir/held"
  while true; do
    # A child of this shell (not of a $(...) subshell), so that `wait` can reap it.
    "${ETCDCTL_COMMAND[@]}" lock --ttl="${ETCD_LOCK_TTL:-60}" "$name" >"$dir/held" &
    pid=$!
    # Kept open until etcdctl exits: a closed read end would kill it with SIGPIPE, unlock undone.
    exec {fd}<"$dir/held"
    # etcdctl prints the lock's key once it holds the lock; EOF means it gave up.
    if read -r -t "$((deadline - $(date +%s) > 0 ? deadline - $(date +%s) : 1))" -u "$fd" line; then
      held=true
      break
    fi
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    exec {fd}<&-
    if ((attempt >= ${K8SHA_RETRY_MAX:-8})) || (($(date +%s) >= deadline)); then break; fi
    log "etcdctl lock $name did not take the lock (attempt $attempt); retrying"
    sleep "$(backoff_seconds "$attempt")"
    attempt=$((attempt + 1))
  done
  if [[ "$held" != true ]]; then
    rm -rf "$dir"
    log "could not take the etcd lock $name through $endpoints"
    return 1
  fi
  log "holding the etcd lock $name ($line)"
  # In a subshell with errexit of its own: a `die` (exit) inside COMMAND must end only COMMAND,
  # so the lock is still released below (etcdctl unlocks only on a signal; left running, it
  # would renew its lease and hold every other join off).
  local errexit=false
  [[ $- == *e* ]] && errexit=true
  set +e
  (
    set -e
    "$@"
  )
  rc=$?
  if [[ "$errexit" == true ]]; then set -e; fi
  log "finished $1 under the etcd lock $name (exit $rc)"
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  exec {fd}<&-
  rm -rf "$dir"
  log "released the etcd lock $name"
  return "$rc"
}
