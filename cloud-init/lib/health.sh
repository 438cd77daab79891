# shellcheck shell=bash
# The node health report of a master (or, with K8SHA_HEALTH_ROLE=etcd, of a dedicated etcd node:
# etcd and its own certificates; with K8SHA_HEALTH_ROLE=control-plane, of a master of the external
# topology: its control plane and certificates, no etcd), run every minute by the timer health-timer.sh installs:
# etcd (leader, healthy members, leader changes, database size against its quota, WAL fsync and
# backend commit p99), the local API server, controller-manager and scheduler, and the days left
# on the earliest kubeadm certificate, published in ONE PutMetricData call. Every value is logged.
# Sourced after common.sh (log, retry) and cert-expiry.sh (cert_days_left, which reads every
# kubeadm certificate with `openssl x509 -enddate`). Entry point: `health_report_once`.
#
# A value that cannot be read is published as 0 when 0 is the bad value (has a leader, healthy
# members, ready, healthy): a dead etcd or API server must raise the alarm, not go silent. Any
# other unreadable value is skipped; its alarm treats missing data as it is configured to.
#
# Environment (the timer's env file sets these; required unless a default is shown):
#   K8SHA_METRICS_NAMESPACE   CloudWatch namespace (base/metrics.ts; the IAM policy allows only it)
#   K8SHA_HEALTH_CLUSTER      ClusterName dimension
#   K8SHA_D_CLUSTER / K8SHA_D_ZONE  the dimensions' names (node.env facts from base/healthMetrics.ts;
#                             ClusterName / AvailabilityZone without them)
#   K8SHA_HEALTH_ZONE         AvailabilityZone dimension (the master's zone; never an instance id,
#                             so an alarm outlives the instance that a replacement takes over from)
#   K8SHA_HEALTH_ETCD_METRICS_URL  etcd's own metrics, plain http on loopback
#                             (http://127.0.0.1:2381/metrics: kubeadm's --listen-metrics-urls)
#   K8SHA_HEALTH_ETCD_ENDPOINTS    client URLs etcdctl asks for the member list (comma-separated)
#   K8SHA_HEALTH_HOST         where the local components answer                   (127.0.0.1)
#   API_PORT / K8SHA_KCM_PORT / K8SHA_SCHEDULER_PORT  their secure ports  (6443 / 10257 / 10259)
#   K8SHA_HEALTH_STATE_DIR    counters of the previous runs         ($K8SHA_STATE_DIR/health)
#   K8SHA_HEALTH_NOW          epoch seconds to use as "now"                       (date +%s)
#   ETCDCTL_CACERT/CERT/KEY   read by etcdctl     (/etc/kubernetes/pki/etcd/{ca,healthcheck-client}.*)
#   K8SHA_ETCDCTL, K8SHA_CURL  binaries                                 (common.sh, curl)
#   K8SHA_METRICS_AWS / K8SHA_AWS  the aws CLI used for CloudWatch                     (aws)

# The metric names: base/healthMetrics.ts defines them and node.env carries them as K8SHA_M_*
# facts (cloud-init/render-env.ts); the literals are the defaults for a run without them.
HEALTH_M_HAS_LEADER="${K8SHA_M_HAS_LEADER:-EtcdHasLeader}"
HEALTH_M_HEALTHY_MEMBERS="${K8SHA_M_HEALTHY_MEMBERS:-EtcdHealthyMembers}"
HEALTH_M_LEADER_CHANGES="${K8SHA_M_LEADER_CHANGES:-EtcdLeaderChanges15m}"
HEALTH_M_DB_RATIO="${K8SHA_M_DB_RATIO:-EtcdDbSizeRatio}"
HEALTH_M_WAL_FSYNC="${K8SHA_M_WAL_FSYNC:-EtcdWalFsyncP99Seconds}"
HEALTH_M_BACKEND_COMMIT="${K8SHA_M_BACKEND_COMMIT:-EtcdBackendCommitP99Seconds}"
HEALTH_M_API_READY="${K8SHA_M_API_READY:-ApiServerReady}"
HEALTH_M_KCM="${K8SHA_M_KCM:-ControllerManagerHealthy}"
HEALTH_M_SCHEDULER="${K8SHA_M_SCHEDULER:-SchedulerHealthy}"
HEALTH_M_CERT_DAYS="${K8SHA_M_CERT_DAYS:-CertificateDaysLeft}"
# The window of the leader-change count: etcd's mixin alerts on leader changes over 15 minutes
# (etcd-io/etcd contrib/mixin, etcdHighNumberOfLeaderChanges).
HEALTH_LEADER_WINDOW_SECONDS=900

health_state_dir() { printf '%s\n' "${K8SHA_HEALTH_STATE_DIR:-$K8SHA_STATE_DIR/health}"; }

# health_etcdctl ARGS... : etcdctl v3 with short timeouts: a run must end well within its minute.
health_etcdctl() {
  local pki="${K8SHA_PKI_DIR:-/etc/kubernetes/pki}"
  ETCDCTL_API=3 \
    ETCDCTL_CACERT="${ETCDCTL_CACERT:-$pki/etcd/ca.crt}" \
    ETCDCTL_CERT="${ETCDCTL_CERT:-$pki/etcd/healthcheck-client.crt}" \
    ETCDCTL_KEY="${ETCDCTL_KEY:-$pki/etcd/healthcheck-client.key}" \
    "$K8SHA_ETCDCTL" --dial-timeout=2s --command-timeout=5s "$@"
}

# health_sample TEXT NAME : the value of the unlabelled sample NAME in Prometheus text TEXT.
health_sample() {
  awk -v n="$2" '$1 == n { print $2; found = 1; exit } END { if (!found) exit 1 }' <<<"$1"
}

# health_buckets TEXT NAME : "LE COUNT" per bucket of histogram NAME, in etcd's (ascending) order.
health_buckets() {
  awk -v p="$2_bucket{le=\"" 'index($1, p) == 1 { le = substr($1, length(p) + 1); sub(/"}$/, "", le); print le, $2 }' <<<"$1"
}

# health_p99 STATE_FILE BUCKETS : the 0.99 quantile of the observations made since the counts in
# STATE_FILE (all of them on the first run, or when etcd restarted and its counters went back),
# interpolated linearly within its bucket, as Prometheus' histogram_quantile does
# (prometheus/prometheus promql/quantile.go); in the +Inf bucket, the highest finite bound.
# Prints nothing when there was no observation. BUCKETS become the new STATE_FILE.
health_p99() {
  local file="$1" buckets="$2" prev="" result
  [[ -n "$buckets" ]] || return 1
  if [[ -f "$file" ]]; then prev="$(cat "$file")"; fi
  result="$(awk '
    NR == FNR { if (NF == 2) old[$1] = $2; next }
    { n++; le[n] = $1; cur[n] = $2; if ($1 in old && $2 + 0 < old[$1] + 0) reset = 1 }
    END {
      for (i = 1; i <= n; i++) d[i] = cur[i] - ((reset || !(le[i] in old)) ? 0 : old[le[i]])
      total = d[n]
      if (total <= 0) exit 0
      target = 0.99 * total; lower = 0; below = 0
      for (i = 1; i <= n; i++) {
        if (d[i] >= target) {
          if (le[i] == "+Inf") { printf "%.6f\n", lower; exit 0 }
          printf "%.6f\n", lower + (le[i] - lower) * (target - below) / (d[i] - below); exit 0
        }
        if (le[i] != "+Inf") lower = le[i]
        below = d[i]
      }
    }' <(printf '%s\n' "$prev") <(printf '%s\n' "$buckets"))" || return 1
  printf '%s\n' "$buckets" >"$file.tmp" && mv -f "$file.tmp" "$file"
  printf '%s' "$result${result:+$'\n'}"
}

# health_leader_changes STATE_FILE NOW VALUE : leader changes in the last 15 minutes, from the
# samples of etcd_server_leader_changes_seen_total the earlier runs kept (counting from the last
# one at or before the window's start); a counter that went back (etcd restarted) counts anew.
health_leader_changes() {
  local file="$1" now="$2" value="$3" kept
  kept="$(
    { if [[ -f "$file" ]]; then cat "$file"; fi; printf '%s %s\n' "$now" "$value"; } |
      awk -v start=$((now - HEALTH_LEADER_WINDOW_SECONDS)) '
        NF == 2 { if ($1 <= start) { base = $0 } else { keep[++n] = $0 } }
        END { if (base != "") print base; for (i = 1; i <= n; i++) print keep[i] }'
  )"
  printf '%s\n' "$kept" >"$file.tmp" && mv -f "$file.tmp" "$file"
  awk 'NR > 1 { sum += ($2 >= last) ? $2 - last : $2 } { last = $2 } END { print sum + 0 }' <<<"$kept"
}

# health_http_ok URL : the loopback endpoint answers 200. -k: this probes whether the local
# component serves, not who it is. The controller-manager and scheduler serve a self-signed
# certificate they make in memory (kubeadm gives them none), so there is no CA to check against;
# the API server's expiring certificate has its own metric and must not read as "not ready".
# Anonymous requests may read these paths: kube-apiserver grants /readyz to system:public-info-viewer
# (kubernetes/kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go), the other two
# skip authorization for /healthz, /readyz, /livez (--authorization-always-allow-paths' default,
# staging/src/k8s.io/apiserver/pkg/server/options/authorization.go).
health_http_ok() {
  local code
  code="$("${K8SHA_CURL:-curl}" -k -s -o /dev/null -w '%{http_code}' --max-time 5 "$1")" || true
  [[ "$code" == 200 ]]
}

# health_add NAME VALUE UNIT : one datum of this run's PutMetricData call (logged).
health_add() {
  log "$1 = $2 ($3)"
  HEALTH_DATA+=("$(printf '{"MetricName":"%s","Value":%s,"Unit":"%s","Dimensions":%s}' "$1" "$2" "$3" "$HEALTH_DIMENSIONS")")
}

# health_etcd : the etcd metrics of this run.
health_etcd() {
  local text="" state value size quota buckets healthy status leader out pair
  state="$(health_state_dir)"
  mkdir -p "$state"
  if ! text="$("${K8SHA_CURL:-curl}" -s -f --max-time 5 "${K8SHA_HEALTH_ETCD_METRICS_URL:-http://127.0.0.1:2381/metrics}")"; then
    log "cannot read etcd metrics from ${K8SHA_HEALTH_ETCD_METRICS_URL:-http://127.0.0.1:2381/metrics}"
    text=""
  fi
  value="$(health_sample "$text" etcd_server_has_leader)" || value=0
  health_add "$HEALTH_M_HAS_LEADER" "$((value == 1 ? 1 : 0))" Count

  # A member counts as healthy when it serves a linearizable read (`endpoint health`), which
  # needs a leader: without quorum every member reads as unhealthy.
  # etcdctl exits non-zero as soon as one member is unhealthy, after printing every member.
  out="$(health_etcdctl --endpoints="${K8SHA_HEALTH_ETCD_ENDPOINTS:?K8SHA_HEALTH_ETCD_ENDPOINTS must be set}" \
    endpoint health --cluster -w json 2>/dev/null)" || true
  healthy="$(grep -o '"health":true' <<<"$out" | wc -l)" || healthy=0
  health_add "$HEALTH_M_HEALTHY_MEMBERS" "$healthy" Count
  if status="$(health_etcdctl --endpoints="${K8SHA_HEALTH_ETCD_ENDPOINTS%%,*}" endpoint status -w json 2>/dev/null)"; then
    # etcd omits a zero leader from its JSON: no "leader" field means no leader.
    leader="$(grep -o '"leader":[1-9][0-9]*' <<<"$status" | head -n 1 | cut -d: -f2)" || leader=""
    log "etcd leader seen by ${K8SHA_HEALTH_ETCD_ENDPOINTS%%,*}: ${leader:-none}"
  fi

  if value="$(health_sample "$text" etcd_server_leader_changes_seen_total)"; then
    value="$(health_leader_changes "$state/leader-changes" "${K8SHA_HEALTH_NOW:-$(date +%s)}" "$value")"
    health_add "$HEALTH_M_LEADER_CHANGES" "$value" Count
  fi
  if size="$(health_sample "$text" etcd_mvcc_db_total_size_in_bytes)" &&
    quota="$(health_sample "$text" etcd_server_quota_backend_bytes)"; then
    value="$(awk -v s="$size" -v q="$quota" 'BEGIN { if (q + 0 > 0) printf "%.6f\n", s / q }')"
    if [[ -n "$value" ]]; then health_add "$HEALTH_M_DB_RATIO" "$value" None; fi
  fi
  for pair in "$HEALTH_M_WAL_FSYNC:etcd_disk_wal_fsync_duration_seconds" \
    "$HEALTH_M_BACKEND_COMMIT:etcd_disk_backend_commit_duration_seconds"; do
    buckets="$(health_buckets "$text" "${pair#*:}")"
    value="$(health_p99 "$state/${pair#*:}" "$buckets")" || value=""
    if [[ -n "$value" ]]; then
      health_add "${pair%%:*}" "$value" Seconds
    else
      log "${pair%%:*}: no observation since the last run; skipped"
    fi
  done
}

# health_components : the local control-plane components and the certificates.
health_components() {
  local host="${K8SHA_HEALTH_HOST:-127.0.0.1}" probe ok days
  for probe in "$HEALTH_M_API_READY:${API_PORT:-6443}/readyz" "$HEALTH_M_KCM:${K8SHA_KCM_PORT:-10257}/healthz" \
    "$HEALTH_M_SCHEDULER:${K8SHA_SCHEDULER_PORT:-10259}/healthz"; do
    ok=0
    if health_http_ok "https://$host:${probe#*:}"; then ok=1; fi
    health_add "${probe%%:*}" "$ok" Count
  done
  # A master of the external topology counts the API server's etcd client pair too: kubeadm does
  # not renew it (cert-renewal.sh), `pulumi up` does, so its days are the ones to watch.
  if days="$(
    if [[ "${K8SHA_HEALTH_ROLE:-master}" == control-plane ]]; then
      # shellcheck disable=SC2034 # read by cert_days_left (cert_sources), in this subshell only
      CERT_RENEWAL_FILES=(apiserver.crt apiserver-kubelet-client.crt front-proxy-client.crt apiserver-etcd-client.crt)
    fi
    cert_days_left
  )"; then
    health_add "$HEALTH_M_CERT_DAYS" "${days%% *}" None
  else
    log "$HEALTH_M_CERT_DAYS: no readable kubeadm certificate; skipped"
  fi
}

# health_etcd_node_certs : the days left on the etcd node's earliest certificate (server, peer,
# client in K8SHA_ETCD_PKI_DIR), with the Role dimension on top of cluster and zone: in the
# external topology a master in the same zone publishes its kubeadm certificates' days too.
health_etcd_node_certs() {
  local dir="${K8SHA_ETCD_PKI_DIR:?K8SHA_ETCD_PKI_DIR must be set}" name end earliest="" now
  for name in server peer client; do
    end="$(cert_not_after "$dir/$name.crt")" || { log "$HEALTH_M_CERT_DAYS: cannot read $dir/$name.crt; skipped"; return 0; }
    if [[ -z "$earliest" ]] || ((end < earliest)); then earliest="$end"; fi
  done
  now="${K8SHA_HEALTH_NOW:-$(date +%s)}"
  local HEALTH_DIMENSIONS="${HEALTH_DIMENSIONS%]},{\"Name\":\"${K8SHA_D_ROLE:-Role}\",\"Value\":\"etcd\"}]"
  health_add "$HEALTH_M_CERT_DAYS" "$(((earliest - now) / 86400))" None
}

# health_report_once : one scheduled run. Non-zero only when the metrics could not be published.
health_report_once() {
  export K8SHA_CURRENT_STEP=node-health
  local aws="${K8SHA_METRICS_AWS:-${K8SHA_AWS:-aws}}" data dim HEALTH_DIMENSIONS
  local -a HEALTH_DATA=()
  for dim in "${K8SHA_METRICS_NAMESPACE:-}" "${K8SHA_HEALTH_CLUSTER:-}" "${K8SHA_HEALTH_ZONE:-}"; do
    [[ "$dim" =~ ^[A-Za-z0-9._/:-]+$ ]] || {
      log "K8SHA_METRICS_NAMESPACE, K8SHA_HEALTH_CLUSTER and K8SHA_HEALTH_ZONE must be set (no quotes or spaces)"
      return 1
    }
  done
  HEALTH_DIMENSIONS="$(printf '[{"Name":"%s","Value":"%s"},{"Name":"%s","Value":"%s"}]' \
    "${K8SHA_D_CLUSTER:-ClusterName}" "$K8SHA_HEALTH_CLUSTER" "${K8SHA_D_ZONE:-AvailabilityZone}" "$K8SHA_HEALTH_ZONE")"
  # A master of the external topology runs no etcd: the etcd nodes of its zone report etcd.
  if [[ "${K8SHA_HEALTH_ROLE:-master}" != control-plane ]]; then health_etcd; fi
  # A dedicated etcd node (external topology) runs no control plane: its own certificates only.
  if [[ "${K8SHA_HEALTH_ROLE:-master}" == etcd ]]; then health_etcd_node_certs; else health_components; fi
  # Ten data in one call: PutMetricData takes up to 1000 metrics (20 before 2023) and 1 MB
  # (AWS CloudWatch API Reference, PutMetricData).
  data="[$(IFS=,; printf '%s' "${HEALTH_DATA[*]}")]"
  # Bounded: three attempts, 2 s and 4 s apart, so a run ends before the next one is due.
  if ! K8SHA_RETRY_MAX=3 K8SHA_RETRY_CAP=5 retry "$aws" cloudwatch put-metric-data \
    --namespace "$K8SHA_METRICS_NAMESPACE" --metric-data "$data"; then
    log "could not publish ${#HEALTH_DATA[@]} health metrics"
    return 1
  fi
  log "published ${#HEALTH_DATA[@]} health metrics to $K8SHA_METRICS_NAMESPACE"
}
