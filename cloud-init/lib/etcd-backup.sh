# shellcheck shell=bash
# etcd snapshot backup to S3, run by etcd-backup.service on every master; only the leader uploads.
# Sourced after common.sh (log, retry) and etcd-tools.sh (K8SHA_ETCDCTL/K8SHA_ETCDUTL). Entry point: `etcd_backup_once` (see etcd-backup-timer.sh).
#
# Environment (the timer's env file sets these, from node.env; required unless a default is shown):
#   K8SHA_BACKUP_BUCKET / K8SHA_BACKUP_PREFIX  s3://BUCKET/PREFIX (PREFIX = "<cluster>/etcd/")
#   K8SHA_BACKUP_CLUSTER     ClusterName metric dimension
#   K8SHA_ETCD_MEMBER        this member's name, part of the object key   (hostname)
#   AWS_DEFAULT_REGION       region of the bucket and CloudWatch
#   K8SHA_ETCD_ENDPOINT      the local member's client URL
#   K8SHA_METRICS_NAMESPACE  CloudWatch namespace (base/metrics.ts; the IAM policy allows only it)
# The rest suit a kubeadm master:
#   ETCDCTL_CACERT/CERT/KEY  read by etcdctl itself     (/etc/kubernetes/pki/etcd/{ca,healthcheck-client}.*)
#   K8SHA_ETCD_COMMAND_TIMEOUT  etcdctl --command-timeout, per attempt  (60s)
#   K8SHA_ETCDCTL / K8SHA_ETCDUTL  binaries (etcd-tools.sh; etcdutl is used when present, 3.5+)
#   K8SHA_AWS                aws CLI (aws); K8SHA_METRICS_AWS: the one used for CloudWatch (same)
#   AWS_ENDPOINT_URL         passed as --endpoint-url to S3 calls (tests: s3rver on loopback)
#   K8SHA_BACKUP_WORK_DIR    scratch space for the snapshot              (/var/tmp/k8sha-etcd-backup)
#   K8SHA_BACKUP_NOW         epoch seconds to use as "now"               (date +%s)
#   K8SHA_BACKUP_KMS_KEY_ID  KMS key ARN every upload names (--sse aws:kms; node.env
#                            BACKUP_KMS_KEY_ARN); unset: no flags, the bucket default applies
#
# Encryption: snapshots hold every Kubernetes Secret, so they are SSE-KMS under the cluster key.
# The upload names the key explicitly; the bucket default (the same key, with an S3 Bucket Key)
# and the bucket policy (which refuses SSE-S3 or another key under the snapshot prefix) stand
# behind it. A bucket whose default is not KMS gets no encryption flags: its default applies.
#
# Hourly/daily copies: an upload is also stored under hourly/ (daily/) when no object of the
# current UTC hour (day) exists there yet, checked with a LIST. Unlike timestamp math ("the run
# in minute 0-14") this survives a failed run, a leader change or a changed interval.

# etcd_backup_etcdctl ARGS... : etcdctl v3 against the local member; TLS comes from ETCDCTL_* env.
etcd_backup_etcdctl() {
  ETCDCTL_API=3 \
    ETCDCTL_CACERT="${ETCDCTL_CACERT:-/etc/kubernetes/pki/etcd/ca.crt}" \
    ETCDCTL_CERT="${ETCDCTL_CERT:-/etc/kubernetes/pki/etcd/healthcheck-client.crt}" \
    ETCDCTL_KEY="${ETCDCTL_KEY:-/etc/kubernetes/pki/etcd/healthcheck-client.key}" \
    "$K8SHA_ETCDCTL" --command-timeout="${K8SHA_ETCD_COMMAND_TIMEOUT:-60s}" "$@"
}

# etcd_backup_aws ARGS... : aws CLI, with --endpoint-url when AWS_ENDPOINT_URL is set.
etcd_backup_aws() {
  local endpoint_args=()
  if [[ -n "${AWS_ENDPOINT_URL:-}" ]]; then endpoint_args=(--endpoint-url "$AWS_ENDPOINT_URL"); fi
  "${K8SHA_AWS:-aws}" "${endpoint_args[@]}" "$@"
}

# etcd_json_field JSON FIELD : first numeric or string value of "FIELD" (sed, not jq: jq 1.6
# reads numbers as doubles and would round etcd's 64-bit member ids).
etcd_json_field() {
  printf '%s' "$1" | grep -o "\"$2\":[^,}]*" | head -n 1 | cut -d: -f2- | tr -d '"'
}

# etcd_is_leader [ENDPOINT] : 0 when ENDPOINT's member is the raft leader, 1 when it is not,
# 2 when its status cannot be read.
etcd_is_leader() {
  local endpoint="${1:-${K8SHA_ETCD_ENDPOINT:?K8SHA_ETCD_ENDPOINT must be set}}" status member leader
  if ! status="$(retry etcd_backup_etcdctl --endpoints="$endpoint" endpoint status -w json)"; then
    log "cannot read etcd status from $endpoint"
    return 2
  fi
  member="$(etcd_json_field "$status" member_id)"
  leader="$(etcd_json_field "$status" leader)"
  if [[ -z "$member" || -z "$leader" ]]; then
    log "unexpected status output from $endpoint: $status"
    return 2
  fi
  K8SHA_ETCD_STATUS="$status"
  [[ "$member" == "$leader" && "$leader" != 0 ]]
}

# etcd_snapshot_status FILE : hash/revision/keys as JSON; fails on a damaged bolt database.
# etcdutl when present (etcdctl's copy is deprecated in 3.5 and gone in 3.6), else etcdctl 3.4.
etcd_snapshot_status() {
  if command -v "$K8SHA_ETCDUTL" >/dev/null 2>&1; then
    "$K8SHA_ETCDUTL" snapshot status "$1" -w json
  else
    ETCDCTL_API=3 "$K8SHA_ETCDCTL" snapshot status "$1" -w json
  fi
}

# etcd_snapshot_hash_ok FILE : a snapshot streamed by etcd ends with the SHA-256 of the database
# (file size = 512*n + 32). `snapshot status` cannot see a file cut inside its free pages; this can.
etcd_snapshot_hash_ok() {
  local file="$1" size expected actual
  size="$(stat -c %s "$file")"
  if ((size % 512 != 32)); then
    log "snapshot $file: size $size has no trailing SHA-256 (truncated?)"
    return 1
  fi
  expected="$(tail -c 32 "$file" | od -An -v -tx1 | tr -d ' \n')"
  actual="$(head -c $((size - 32)) "$file" | sha256sum | cut -d' ' -f1)"
  if [[ "$expected" != "$actual" ]]; then
    log "snapshot $file: SHA-256 mismatch (stored $expected, computed $actual)"
    return 1
  fi
}

# etcd_backup_metric NAME VALUE [UNIT] : best effort; a CloudWatch outage must not fail a backup.
etcd_backup_metric() {
  local aws="${K8SHA_METRICS_AWS:-${K8SHA_AWS:-aws}}"
  if [[ -z "${K8SHA_METRICS_NAMESPACE:-}" ]]; then
    log "cannot publish metric $1: K8SHA_METRICS_NAMESPACE must be set"
    return 0
  fi
  K8SHA_RETRY_MAX=3 retry "$aws" cloudwatch put-metric-data --namespace "$K8SHA_METRICS_NAMESPACE" \
    --metric-name "$1" --value "$2" --unit "${3:-Count}" \
    --dimensions "ClusterName=${K8SHA_BACKUP_CLUSTER:-unknown}" ||
    log "could not publish metric $1 (ignored)"
}

# etcd_backup_prefix_empty PREFIX : true when the bucket holds no object under PREFIX.
etcd_backup_prefix_empty() {
  local first
  first="$(retry etcd_backup_aws s3api list-objects-v2 --bucket "$K8SHA_BACKUP_BUCKET" \
    --prefix "$1" --max-items 1 --query 'Contents[0].Key' --output text)" || return 2
  [[ -z "$first" || "$first" == "None" ]]
}

# etcd_backup_put FILE KEY METADATA : upload one object with its metadata, SSE-KMS under
# K8SHA_BACKUP_SSE_KEY when set (etcd_backup_run resolves it once per run).
etcd_backup_put() {
  local sse_args=()
  if [[ -n "${K8SHA_BACKUP_SSE_KEY:-}" ]]; then sse_args=(--sse aws:kms --sse-kms-key-id "$K8SHA_BACKUP_SSE_KEY"); fi
  log "uploading s3://$K8SHA_BACKUP_BUCKET/$2"
  retry etcd_backup_aws s3 cp --only-show-errors "${sse_args[@]}" --metadata "$3" "$1" \
    "s3://$K8SHA_BACKUP_BUCKET/$2"
}

# etcd_backup_upload FILE NOW_EPOCH METADATA : all/ always, hourly/ and daily/ when first of period.
etcd_backup_upload() {
  local file="$1" now="$2" meta="$3" prefix="${K8SHA_BACKUP_PREFIX}" name period
  name="$(date -u -d "@$now" +%Y%m%dT%H%M%SZ)-${K8SHA_ETCD_MEMBER:-$(hostname)}.db.gz"
  etcd_backup_put "$file" "${prefix}all/$name" "$meta" || return 1
  for period in hourly:%Y%m%dT%H daily:%Y%m%d; do
    local dir="${period%%:*}" stamp rc=0
    stamp="$(date -u -d "@$now" "+${period#*:}")"
    etcd_backup_prefix_empty "${prefix}${dir}/${stamp}" || rc=$?
    if ((rc == 2)); then return 1; fi
    if ((rc == 0)); then etcd_backup_put "$file" "${prefix}${dir}/$name" "$meta" || return 1; fi
  done
}

# etcd_backup_run : the backup itself; every failure returns non-zero (no `set -e` reliance: the
# caller runs it in an `if`, where bash disables errexit).
etcd_backup_run() {
  local rc=0 base work snap status revision version now K8SHA_BACKUP_SSE_KEY endpoint="${K8SHA_ETCD_ENDPOINT:-}"
  [[ -n "${K8SHA_BACKUP_BUCKET:-}" && -n "${K8SHA_BACKUP_PREFIX:-}" && -n "$endpoint" &&
    -n "${K8SHA_METRICS_NAMESPACE:-}" ]] || {
    log "K8SHA_BACKUP_BUCKET, K8SHA_BACKUP_PREFIX, K8SHA_ETCD_ENDPOINT and K8SHA_METRICS_NAMESPACE must be set"
    return 1
  }
  # On a node (the timer's env file sets K8SHA_ETCD_MANIFEST) the tools follow the etcd image.
  if [[ -n "${K8SHA_ETCD_MANIFEST:-}" ]]; then
    etcd_tools_from_manifest || return 1
  fi
  etcd_is_leader "$endpoint" || rc=$?
  if ((rc == 1)); then
    log "this member is not the etcd leader; the leader uploads"
    return 0
  fi
  if ((rc != 0)); then return 1; fi
  version="$(etcd_json_field "$K8SHA_ETCD_STATUS" version)"
  now="${K8SHA_BACKUP_NOW:-$(date +%s)}"
  base="${K8SHA_BACKUP_WORK_DIR:-/var/tmp/k8sha-etcd-backup}"
  mkdir -p "$base" && work="$(mktemp -d "$base/run.XXXXXX")" || return 1
  snap="$work/snapshot.db"
  log "saving snapshot from $endpoint"
  if ! retry etcd_backup_etcdctl --endpoints="$endpoint" \
    snapshot save "$snap" >&2; then
    rm -rf "$work"
    return 1
  fi
  if ! status="$(etcd_snapshot_status "$snap")"; then
    log "snapshot status refused $snap; nothing uploaded"
    rm -rf "$work"
    return 1
  fi
  if ! etcd_snapshot_hash_ok "$snap"; then
    log "snapshot $snap failed its SHA-256 check; nothing uploaded"
    rm -rf "$work"
    return 1
  fi
  revision="$(etcd_json_field "$status" revision)"
  log "snapshot verified: $status"
  K8SHA_BACKUP_SSE_KEY="${K8SHA_BACKUP_KMS_KEY_ID:-}"
  if [[ -z "$K8SHA_BACKUP_SSE_KEY" ]]; then log "no KMS key for the upload; the bucket default encryption applies"; fi
  if ! { gzip -n -c "$snap" >"$snap.gz" && gzip -t "$snap.gz" &&
    etcd_backup_upload "$snap.gz" "$now" \
      "revision=$revision,member=${K8SHA_ETCD_MEMBER:-$(hostname)},etcd-version=${version:-unknown}"; }; then
    rm -rf "$work"
    return 1
  fi
  log "backup of revision $revision uploaded"
  etcd_backup_metric EtcdBackupSucceeded 1
  etcd_backup_metric EtcdBackupSizeBytes "$(stat -c %s "$snap.gz")" Bytes
  rm -rf "$work"
}

# etcd_backup_once : one scheduled run. Exit status and CloudWatch metric tell the outcome:
# the leader publishes EtcdBackupSucceeded; any member that fails publishes EtcdBackupFailed.
etcd_backup_once() {
  export K8SHA_CURRENT_STEP=etcd-backup
  if etcd_backup_run; then return 0; fi
  log "etcd backup FAILED"
  etcd_backup_metric EtcdBackupFailed 1
  return 1
}
