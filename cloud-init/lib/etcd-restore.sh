# shellcheck shell=bash
# etcd restore, run by an operator (docs/backup-restore.md), never at boot, on a master (stacked
# topology) or a dedicated etcd node (external: K8SHA_ROLE=etcd, etcd is the k8sha-etcd unit). Sourced after common.sh
# etcd-tools.sh and etcd-backup.sh (etcd_backup_etcdctl, etcd_backup_aws, etcd_snapshot_status). Entry point:
# /opt/k8sha/bin/etcd-restore (scripts/etcd-restore.sh) -> etcd_restore_main.
#
# Two procedures:
#   full            every member restores the SAME snapshot into a new cluster (new cluster id,
#                   new --initial-cluster-token), etcd stopped on all members first.
#   replace-member  one member lost while the others keep quorum: remove it, add it back, and
#                   start it with an EMPTY data dir and --initial-cluster-state=existing; the leader
#                   then streams it the current data. A snapshot would be wrong here: it carries
#                   an older revision and the membership of a different cluster id.
# Old data dirs are moved aside to DATA_DIR.pre-restore-<UTC time>, never deleted.
# Both rewrite the volume's identity file (etcd-member.sh) with the member id the data now has:
# a restore changes every member id, and a replacement master refuses (or misreads) a volume whose
# identity names a member that no longer exists.

# etcd_member_id_of PEER_URLS TOKEN : the id etcd gives a member bootstrapped or restored with
# these comma-separated peer URLs and this --initial-cluster-token: the first 8 bytes of
# sha1(sorted URLs joined + token), hex without leading zeros (etcd membership/member.go
# computeMemberId; a restore passes no time).
etcd_member_id_of() {
  local sorted hex
  sorted="$(tr ',' '\n' <<<"$1" | LC_ALL=C sort | tr -d '\n')"
  hex="$(printf '%s%s' "$sorted" "$2" | sha1sum | cut -c1-16)" || return 1
  [[ "$hex" =~ ^[0-9a-f]{16}$ ]] || return 1
  while [[ "$hex" == 0* ]]; do hex="${hex#0}"; done
  printf '%s\n' "${hex:-0}"
}

# etcd_restore_identity DATA_DIR MEMBER_ID PEER_URL : rewrite the identity next to DATA_DIR for
# MEMBER_ID at PEER_URL, keeping the cluster it named (else $CLUSTER_NAME).
etcd_restore_identity() {
  local cluster
  export ETCD_IDENTITY_FILE="${ETCD_IDENTITY_FILE:-$(dirname "$1")/k8sha-identity}"
  cluster="$(etcd_read_identity cluster 2>/dev/null || printf '%s' "${CLUSTER_NAME:-}")"
  [[ -n "$cluster" ]] || die "no cluster name for $ETCD_IDENTITY_FILE: set CLUSTER_NAME (see /etc/k8sha/node.env)"
  etcd_write_identity "$cluster" "$2" "$3"
}

# etcd_restore_tool : "etcdutl" (3.5+) when present, else "etcdctl" (3.4; gone from 3.6's etcdctl).
etcd_restore_tool() {
  if command -v "$K8SHA_ETCDUTL" >/dev/null 2>&1; then echo etcdutl; else echo etcdctl; fi
}

# etcd_restore_fetch SOURCE DEST : SOURCE is s3://bucket/key or a local path, gzip or plain.
etcd_restore_fetch() {
  local src="$1" dest="$2" raw="$2.download"
  if [[ "$src" == s3://* ]]; then
    log "downloading $src"
    retry etcd_backup_aws s3 cp --only-show-errors "$src" "$raw" || return 1
  else
    cp "$src" "$raw" || return 1
  fi
  if gzip -t "$raw" 2>/dev/null; then
    gzip -d -c "$raw" >"$dest" || return 1
    rm -f "$raw"
  else
    mv "$raw" "$dest"
  fi
  etcd_snapshot_status "$dest" >&2 || {
    log "$src is not a readable etcd snapshot"
    return 1
  }
}

# etcd_restore_move_aside DATA_DIR : rename a non-empty data dir; prints nothing.
etcd_restore_move_aside() {
  local dir="$1" aside
  if [[ -d "$dir" && -n "$(ls -A "$dir")" ]]; then
    aside="$dir.pre-restore-$(date -u +%Y%m%dT%H%M%SZ)"
    log "moving $dir aside to $aside (kept; delete it once the cluster is verified)"
    mv "$dir" "$aside"
  elif [[ -d "$dir" ]]; then
    rmdir "$dir"
  fi
}

# etcd_restore_snapshot SNAPSHOT NAME PEER_URL INITIAL_CLUSTER TOKEN DATA_DIR : restore into a
# sibling temp dir (same filesystem: the final rename is atomic), then swap it in.
etcd_restore_snapshot() {
  local snap="$1" name="$2" peer="$3" initial="$4" token="$5" data="$6" staging tool
  staging="$data.restoring"
  rm -rf "$staging"
  tool="$(etcd_restore_tool)"
  log "restoring $snap as member $name of $initial (token $token) with $tool"
  local args=(snapshot restore "$snap" --name "$name" --initial-cluster "$initial"
    --initial-cluster-token "$token" --initial-advertise-peer-urls "$peer" --data-dir "$staging")
  if [[ "$tool" == etcdutl ]]; then
    "$K8SHA_ETCDUTL" "${args[@]}" || return 1
  else
    ETCDCTL_API=3 "$K8SHA_ETCDCTL" "${args[@]}" || return 1
  fi
  local id
  # Computed before the swap: a restore that cannot name its member id changes nothing.
  id="$(etcd_member_id_of "$peer" "$token")" || { log "cannot compute the member id (sha1sum)"; return 1; }
  etcd_restore_move_aside "$data" && mv "$staging" "$data"
  etcd_restore_identity "$data" "$id" "$peer"
  log "member $name restored into $data; start etcd on every member now"
}

# etcd_restore_refuse_if_running ENDPOINT : a restore under a live etcd would be overwritten.
etcd_restore_refuse_if_running() {
  if etcd_backup_etcdctl --endpoints="$1" --dial-timeout=2s --command-timeout=3s endpoint health >/dev/null 2>&1; then
    if [[ "${K8SHA_ROLE:-master}" == etcd ]]; then
      die "etcd still answers on $1: stop it first (sudo systemctl stop k8sha-etcd)"
    fi
    die "etcd still answers on $1: stop it first (move /etc/kubernetes/manifests/etcd.yaml away)"
  fi
}

# etcd_member_id ENDPOINTS NAME_OR_PEER_URL : hex id from `member list -w simple` (hex strings:
# member ids are uint64 and do not survive JSON number parsing).
etcd_member_id() {
  retry etcd_backup_etcdctl --endpoints="$1" member list -w simple |
    awk -F', ' -v who="$2" '$3 == who || $4 == who { print $1; exit }'
}

# etcd_member_replace ENDPOINTS NAME PEER_URL DATA_DIR : via healthy peers, swap the lost member
# for a fresh one and empty its data dir. Prints ETCD_INITIAL_CLUSTER(_STATE) lines to start it with.
etcd_member_replace() {
  local endpoints="$1" name="$2" peer="$3" data="$4" id out
  id="$(etcd_member_id "$endpoints" "$name")"
  if [[ -z "$id" ]]; then id="$(etcd_member_id "$endpoints" "$peer")"; fi
  if [[ -n "$id" ]]; then
    log "removing member $name ($id) through $endpoints"
    retry etcd_backup_etcdctl --endpoints="$endpoints" member remove "$id" >&2 || return 1
  fi
  log "adding member $name at $peer"
  out="$(retry etcd_backup_etcdctl --endpoints="$endpoints" member add "$name" --peer-urls="$peer")" || return 1
  etcd_restore_move_aside "$data" || return 1
  # etcdctl prints "Member %16x added": an id with a leading zero digit is padded with spaces.
  [[ "$out" =~ Member\ +([0-9a-f]+)\ added ]] || die "unexpected member add output: $out"
  etcd_restore_identity "$data" "${BASH_REMATCH[1]}" "$peer"
  printf '%s\n' "$out" | grep -E '^ETCD_(NAME|INITIAL_CLUSTER|INITIAL_CLUSTER_STATE|INITIAL_ADVERTISE_PEER_URLS)='
}

etcd_restore_usage() {
  cat >&2 <<'EOF'
usage: etcd-restore full --snapshot s3://BUCKET/KEY|FILE --name NAME --peer-url URL
                         --initial-cluster N1=URL1,N2=URL2,... --token NEW_TOKEN
                         [--data-dir DIR] [--endpoint CLIENT_URL]
       etcd-restore replace-member --endpoints HEALTHY_CLIENT_URLS --name NAME --peer-url URL
                         [--data-dir DIR]
DIR defaults to ETCD_DATA_DIR, CLIENT_URL to https://127.0.0.1:ETCD_CLIENT_PORT (node.env).
EOF
  return 2
}

# etcd_restore_main COMMAND OPTIONS... : the operator CLI.
etcd_restore_main() {
  local cmd="${1:-}" snapshot="" name="" peer="" initial="" token="" endpoints=""
  local data="" endpoint=""
  shift || true
  while (($# >= 2)); do
    case "$1" in
      --snapshot) snapshot="$2" ;;
      --name) name="$2" ;;
      --peer-url) peer="$2" ;;
      --initial-cluster) initial="$2" ;;
      --token) token="$2" ;;
      --data-dir) data="$2" ;;
      --endpoint) endpoint="$2" ;;
      --endpoints) endpoints="$2" ;;
      *) etcd_restore_usage || return ;;
    esac
    shift 2
  done
  (($# == 0)) || etcd_restore_usage || return
  # Defaults from node.env (scripts/etcd-restore.sh sources it on a master), only where needed.
  case "$cmd" in
    full)
      [[ -n "$snapshot" && -n "$name" && -n "$peer" && -n "$initial" && -n "$token" ]] || etcd_restore_usage || return
      data="${data:-${ETCD_DATA_DIR:?ETCD_DATA_DIR must be set, or pass --data-dir}}"
      etcd_restore_refuse_if_running "${endpoint:-${K8SHA_ETCD_ENDPOINT:-https://127.0.0.1:${ETCD_CLIENT_PORT:?ETCD_CLIENT_PORT must be set, or pass --endpoint}}}"
      local work
      work="$(mktemp -d "$(dirname "$data")/restore.XXXXXX")"
      etcd_restore_fetch "$snapshot" "$work/snapshot.db" || die "cannot fetch $snapshot"
      etcd_restore_snapshot "$work/snapshot.db" "$name" "$peer" "$initial" "$token" "$data" || die "restore failed"
      rm -rf "$work"
      ;;
    replace-member)
      [[ -n "$endpoints" && -n "$name" && -n "$peer" ]] || etcd_restore_usage || return
      data="${data:-${ETCD_DATA_DIR:?ETCD_DATA_DIR must be set, or pass --data-dir}}"
      etcd_member_replace "$endpoints" "$name" "$peer" "$data" || die "member replacement failed"
      ;;
    *) etcd_restore_usage ;;
  esac
}
