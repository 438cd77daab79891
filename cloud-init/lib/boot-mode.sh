# shellcheck shell=bash
# Decides how a master's first boot brings it into the cluster: init | join | rejoin (stacked), and
# holds what the external topology's init | offline decision shares (init_or_mode, persisted_boot_mode).
# Sourced after common.sh and etcd-member.sh (for the identity file).
#
#   rejoin  the etcd volume already holds a member's data written for THIS cluster: keep it and
#           start etcd as that member, at the master's stable address (master-boot.sh mode_rejoin).
#   init    master 0, and the cluster was never initialised: `kubeadm init`.
#   join    everything else: `kubeadm join --control-plane` (after removing this zone's
#           stale member). A non-zero master first waits, bounded, for the cluster to exist.
#
# Inputs (node.env, all required):
#   CLUSTER_NAME            this cluster's name
#   MASTER_INDEX            0-based index of this master
#   ETCD_DATA_DIR           etcd's data dir (on the etcd volume)
#   INIT_MARKER, AWS_REGION the SSM parameter master 0 writes once it initialised the cluster
#   API_ENDPOINT, API_PORT  the API load balancer, probed on /readyz
# Environment (optional):
#   AWS, CURL               binaries                                 (aws, curl)
#   K8S_CA_CERT             cluster CA used to verify /readyz (/etc/kubernetes/pki/ca.crt)
#   BOOT_INIT_WAIT_SECONDS  how long a non-zero master waits for init   (1800)
#   BOOT_MARKER_POLL_SECONDS  least seconds between marker look-ups in that wait (30)

# _ssm_initialised_marker : print "present" or "absent"; fails on any other AWS error so
# that `retry` retries it (a throttled call must never read as "absent").
_ssm_initialised_marker() {
  local err
  err="$(mktemp)"
  if "${AWS:-aws}" --region "${AWS_REGION:?AWS_REGION must be set}" ssm get-parameter \
    --name "${INIT_MARKER:?INIT_MARKER must be set}" \
    --query Parameter.Value --output text >/dev/null 2>"$err"; then
    rm -f "$err"
    printf 'present\n'
    return 0
  fi
  if grep -q ParameterNotFound "$err"; then
    rm -f "$err"
    printf 'absent\n'
    return 0
  fi
  log "ssm get-parameter failed: $(tr '\n' ' ' <"$err")"
  rm -f "$err"
  return 1
}

# _api_ready : true when the API load balancer answers /readyz (anonymous access is allowed).
_api_ready() {
  local -a tls=(--insecure)
  if [[ -f "${K8S_CA_CERT:-/etc/kubernetes/pki/ca.crt}" ]]; then
    tls=(--cacert "${K8S_CA_CERT:-/etc/kubernetes/pki/ca.crt}")
  fi
  "${CURL:-curl}" --silent --fail --max-time 5 "${tls[@]}" \
    "https://${API_ENDPOINT:?API_ENDPOINT must be set}:${API_PORT:?API_PORT must be set}/readyz" >/dev/null 2>&1
}

# cluster_initialised : true when the cluster exists: master 0 wrote the SSM marker after a
# successful init, OR an API server already answers (marker write lost). Tests override it.
cluster_initialised() {
  local marker
  marker="$(retry _ssm_initialised_marker)" || die "cannot read the initialised marker from SSM"
  [[ "$marker" == "present" ]] || _api_ready
}

# decide_boot_mode : print exactly one of init | join | rejoin (logs go to stderr).
# _cluster_exists : the API answers through the load balancer (a cheap probe, every poll), or the
# initialised marker exists (an SSM call, at most every BOOT_MARKER_POLL_SECONDS while the API
# is down: masters that boot with master 0 poll for as long as its init takes).
_cluster_exists() {
  local now
  if _api_ready; then return 0; fi
  now="$(date +%s)"
  if ((now - ${_K8SHA_MARKER_CHECKED_AT:-0} < ${BOOT_MARKER_POLL_SECONDS:-30})); then return 1; fi
  _K8SHA_MARKER_CHECKED_AT="$now"
  cluster_initialised
}

decide_boot_mode() {
  local data_dir cluster owner
  : "${CLUSTER_NAME:?CLUSTER_NAME must be set}" "${MASTER_INDEX:?MASTER_INDEX must be set}"
  data_dir="${ETCD_DATA_DIR:?ETCD_DATA_DIR must be set}"
  cluster="$CLUSTER_NAME"
  if [[ -d "$data_dir/member" ]]; then
    owner="$(etcd_read_identity cluster)" ||
      die "$data_dir holds etcd data but $(etcd_identity_file) is missing: refusing to guess whose" \
        "member it is; inspect the volume (a boot that died between kubeadm and the identity write)"
    [[ "$owner" == "$cluster" ]] ||
      die "etcd volume belongs to cluster '$owner', not '$cluster': refusing to use it"
    log "etcd volume holds member $(etcd_read_identity member_id || echo '?') of $cluster: rejoin"
    printf 'rejoin\n'
    return 0
  fi
  init_or_mode join "empty etcd volume in an initialised cluster: join"
}

# init_or_mode MODE WHY : print init for master 0 of a cluster never initialised; else, once the
# cluster exists (a non-zero master waits for master 0, bounded), log WHY and print MODE.
init_or_mode() {
  : "${MASTER_INDEX:?MASTER_INDEX must be set}"
  if [[ "$MASTER_INDEX" == "0" ]] && ! cluster_initialised; then
    log "master 0 and the cluster was never initialised: init"
    printf 'init\n'
    return 0
  fi
  if [[ "$MASTER_INDEX" != "0" ]]; then
    wait_until "${BOOT_INIT_WAIT_SECONDS:-1800}" "cluster initialised by master 0" _cluster_exists ||
      die "cluster was not initialised within ${BOOT_INIT_WAIT_SECONDS:-1800}s"
  fi
  log "$2"
  printf '%s\n' "$1"
}

# persisted_boot_mode DECIDER : the boot mode DECIDER prints, decided once and kept in
# K8SHA_STATE_DIR: a reboot must not re-decide half-way (e.g. after kubeadm init).
persisted_boot_mode() {
  local file="$K8SHA_STATE_DIR/boot-mode"
  if [[ ! -s "$file" ]]; then
    "$1" >"$file.tmp"
    mv -f "$file.tmp" "$file"
  fi
  cat "$file"
}
