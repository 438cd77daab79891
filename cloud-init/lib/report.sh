# shellcheck shell=bash
# Boot outcome signal: the marker files of common.sh plus the EC2 boot-status tag (TAG_BOOT_STATUS)
# (`succeeded` or `failed:<step>`), visible in the console, the CLI and to the readiness gate.
# A failed boot also publishes the metric BootFailed=1 (dimensions cluster + role, never the
# instance: the alarms are built at deploy time) and uploads the tail of its log, secrets
# redacted, to s3://BOOT_LOG_BUCKET/BOOT_LOG_PREFIX<instance-id>.log (docs/boot-failures.md).
# Sourced after common.sh and imds.sh. Everything here is best effort and bounded: a failure to
# report never masks the boot's own result, and never keeps the failure trap from ending.
#
# Inputs (node.env): TAG_BOOT_STATUS (the tag key); for the failure report METRICS_NAMESPACE,
#   K8SHA_M_BOOT_FAILED, K8SHA_D_CLUSTER, K8SHA_D_ROLE (base/healthMetrics.ts), CLUSTER_NAME,
#   K8SHA_ROLE, BOOT_LOG_BUCKET, BOOT_LOG_PREFIX.
# Environment (optional): AWS (aws CLI), INSTANCE_ID (else read from IMDS), AWS_ENDPOINT_URL,
#   K8SHA_REPORT_RETRIES  attempts per AWS call (3: the trap must not hang a failed boot)
#   K8SHA_REPORT_TIMEOUT  seconds one AWS call may take before it is killed (20)
#   K8SHA_BOOT_LOG_LINES  lines of the log tail (200)
#   K8SHA_BOOT_LOG_FILE   read the log from this file instead of the journal (tests, or a boot
#                         run outside k8sha-boot.service)
#   K8SHA_JOURNALCTL      journalctl (journalctl)

# _report_aws ARGS... : one AWS CLI call, killed after K8SHA_REPORT_TIMEOUT seconds (a CLI that
# cannot connect would otherwise retry on its own for minutes).
_report_aws() {
  local endpoint=()
  if [[ -n "${AWS_ENDPOINT_URL:-}" ]]; then endpoint=(--endpoint-url "$AWS_ENDPOINT_URL"); fi
  timeout -k 2 "${K8SHA_REPORT_TIMEOUT:-20}" "${AWS:-aws}" "${endpoint[@]}" "$@"
}

# _report_instance_id : INSTANCE_ID, else IMDS (3 quick tries); empty when unknown.
_report_instance_id() {
  if [[ -n "${INSTANCE_ID:-}" ]]; then
    printf '%s\n' "$INSTANCE_ID"
    return 0
  fi
  K8SHA_RETRY_MAX=3 imds_instance_id 2>/dev/null || true
}

# report_boot_status STATUS : tag this instance; always returns 0 (also without a tag key: the
# failure trap must still leave its marker file and exit with the boot's code).
report_boot_status() {
  local status="$1" id tag="${TAG_BOOT_STATUS:-}"
  if [[ -z "$tag" ]]; then
    log "cannot tag boot status '$status': TAG_BOOT_STATUS must be set (node.env)"
    return 0
  fi
  id="$(_report_instance_id)"
  if [[ -z "$id" ]]; then
    log "cannot tag boot status '$status': instance id unknown"
    return 0
  fi
  if K8SHA_RETRY_MAX="${K8SHA_REPORT_RETRIES:-3}" retry _report_aws ec2 create-tags --resources "$id" \
    --tags "Key=$tag,Value=$status"; then
    log "tagged $id $tag=$status"
  else
    log "could not tag $id $tag=$status (best effort)"
  fi
  return 0
}

# report_boot_failed_metric : BootFailed=1 with the cluster and role dimensions; returns 0.
report_boot_failed_metric() {
  local ns="${METRICS_NAMESPACE:-}" name="${K8SHA_M_BOOT_FAILED:-}" dims
  if [[ -z "$ns" || -z "$name" || -z "${K8SHA_D_CLUSTER:-}" || -z "${K8SHA_D_ROLE:-}" ]]; then
    log "cannot publish the boot failure metric: METRICS_NAMESPACE, K8SHA_M_BOOT_FAILED, K8SHA_D_CLUSTER and K8SHA_D_ROLE must be set (node.env)"
    return 0
  fi
  dims="$K8SHA_D_CLUSTER=${CLUSTER_NAME:-unknown},$K8SHA_D_ROLE=${K8SHA_ROLE:-unknown}"
  if K8SHA_RETRY_MAX="${K8SHA_REPORT_RETRIES:-3}" retry _report_aws cloudwatch put-metric-data \
    --namespace "$ns" --metric-name "$name" --value 1 --unit Count --dimensions "$dims" >/dev/null; then
    log "published $ns $name=1 ($dims)"
  else
    log "could not publish $ns $name=1 (best effort)"
  fi
  return 0
}

# boot_log_tail : the last K8SHA_BOOT_LOG_LINES lines of this boot attempt's log on stdout.
# The boot logs to stderr (common.sh `log`, kubeadm's own output), which k8sha-boot.service sends
# to the journal; INVOCATION_ID (set by systemd for each start of the unit) selects this attempt
# only. `journalctl --sync` first: it returns once journald has written what it received.
boot_log_tail() {
  local lines="${K8SHA_BOOT_LOG_LINES:-200}" journalctl="${K8SHA_JOURNALCTL:-journalctl}"
  if [[ -n "${K8SHA_BOOT_LOG_FILE:-}" ]]; then
    tail -n "$lines" "$K8SHA_BOOT_LOG_FILE" 2>/dev/null || printf 'cannot read %s\n' "$K8SHA_BOOT_LOG_FILE"
    return 0
  fi
  if ! command -v "$journalctl" >/dev/null 2>&1; then
    printf 'no journalctl on this node: no log to show (see the instance console output)\n'
    return 0
  fi
  timeout 10 "$journalctl" --sync >/dev/null 2>&1 || true
  if [[ -n "${INVOCATION_ID:-}" ]]; then
    timeout 20 "$journalctl" --no-pager -o cat -n "$lines" "_SYSTEMD_INVOCATION_ID=$INVOCATION_ID" 2>&1 || true
  else
    timeout 20 "$journalctl" --no-pager -o cat -n "$lines" -u k8sha-boot.service 2>&1 || true
  fi
}

# redact_boot_log : stdin to stdout with what could be a secret replaced. The boot never logs one
# on purpose (kubeadm init runs with --skip-token-print, no --upload-certs so no certificate key,
# fill_template never logs a value, ssm_get_param logs names only); this is the second line of
# defence for output the boot does not control: bootstrap tokens (`[a-z0-9]{6}.[a-z0-9]{16}`,
# kubeadm's format), a certificate key after its flag or field name, PEM private key blocks, and
# AWS secret keys and session tokens after their names.
redact_boot_log() {
  sed -E \
    -e '/-----BEGIN [A-Z ]*PRIVATE[ ]KEY-----/,/-----END [A-Z ]*PRIVATE[ ]KEY-----/c\
[redacted private key]' \
    -e 's/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/[redacted-token]/g' \
    -e 's/((certificate[-_]?key|certificateKey)["]?[:= ]+["]?)[0-9a-fA-F]{16,}/\1[redacted]/g' \
    -e 's/((secret[-_]?access[-_]?key|SecretAccessKey|session[-_]?token|SessionToken)["]?[:= ]+["]?)[A-Za-z0-9\/+=]{16,}/\1[redacted]/g'
}

# report_boot_log : upload the redacted log tail to BOOT_LOG_PREFIX<instance-id>.log, SSE-S3
# (explicit AES256: no KMS permission needed, the node IAM allows only that). The same key for
# every attempt of this instance: a retried failure overwrites it. Also kept locally as
# K8SHA_STATE_DIR/boot-failed.log. Returns 0.
report_boot_log() {
  local id file="$K8SHA_STATE_DIR/boot-failed.log"
  if [[ -z "${BOOT_LOG_BUCKET:-}" || -z "${BOOT_LOG_PREFIX:-}" ]]; then
    log "cannot upload the boot log: BOOT_LOG_BUCKET and BOOT_LOG_PREFIX must be set (node.env)"
    return 0
  fi
  id="$(_report_instance_id)"
  if [[ -z "$id" ]]; then
    log "cannot upload the boot log: instance id unknown"
    return 0
  fi
  mkdir -p "$K8SHA_STATE_DIR"
  if ! (boot_log_tail | redact_boot_log >"$file.tmp") || ! mv -f "$file.tmp" "$file"; then
    log "cannot collect the boot log (best effort)"
    return 0
  fi
  local url="s3://$BOOT_LOG_BUCKET/$BOOT_LOG_PREFIX$id.log"
  if K8SHA_RETRY_MAX="${K8SHA_REPORT_RETRIES:-3}" retry _report_aws s3 cp --only-show-errors --sse AES256 \
    --content-type text/plain "$file" "$url"; then
    log "uploaded the boot log tail to $url"
  else
    log "could not upload the boot log to $url (best effort)"
  fi
  return 0
}

# on_boot_exit : EXIT trap. On failure: failure marker naming the step, the tag, the metric, the
# log tail (last: by then journald has read the lines above), then the boot's own exit code.
on_boot_exit() {
  local rc=$?
  if ((rc != 0)); then
    # Nothing in the report may end the trap early: errexit off, whatever it reports.
    set +e
    record_failure "$rc"
    report_boot_status "failed:$K8SHA_CURRENT_STEP"
    report_boot_failed_metric
    report_boot_log
  fi
  return "$rc"
}

install_boot_report_trap() {
  trap on_boot_exit EXIT
}

# report_success : success marker + tag; the last call of an entry script.
report_success() {
  K8SHA_CURRENT_STEP="done"
  mark_success
  report_boot_status succeeded
}
