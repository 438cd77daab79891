# shellcheck shell=bash
# Boot outcome signal: the marker files of common.sh plus the EC2 boot-status tag (TAG_BOOT_STATUS)
# (`succeeded` or `failed:<step>`), visible in the console, the CLI and to the readiness gate.
# Sourced after common.sh and imds.sh. Tagging is best effort: a failure to tag never masks
# the boot's own result.
#
# Inputs (node.env): TAG_BOOT_STATUS (the tag key).
# Environment (optional): AWS (aws CLI), INSTANCE_ID (else read from IMDS),
#   K8SHA_REPORT_RETRIES  attempts per tag call (3: the trap must not hang a failed boot)

# report_boot_status STATUS : tag this instance; always returns 0 (also without a tag key: the
# failure trap must still leave its marker file and exit with the boot's code).
report_boot_status() {
  local status="$1" id="${INSTANCE_ID:-}" tag="${TAG_BOOT_STATUS:-}"
  if [[ -z "$tag" ]]; then
    log "cannot tag boot status '$status': TAG_BOOT_STATUS must be set (node.env)"
    return 0
  fi
  if [[ -z "$id" ]]; then
    id="$(K8SHA_RETRY_MAX=3 imds_instance_id 2>/dev/null)" || id=""
  fi
  if [[ -z "$id" ]]; then
    log "cannot tag boot status '$status': instance id unknown"
    return 0
  fi
  if K8SHA_RETRY_MAX="${K8SHA_REPORT_RETRIES:-3}" retry "${AWS:-aws}" ec2 create-tags --resources "$id" \
    --tags "Key=$tag,Value=$status"; then
    log "tagged $id $tag=$status"
  else
    log "could not tag $id $tag=$status (best effort)"
  fi
  return 0
}

# on_boot_exit : EXIT trap. On failure: failure marker naming the step, then the tag.
on_boot_exit() {
  local rc=$?
  if ((rc != 0)); then
    record_failure "$rc"
    report_boot_status "failed:$K8SHA_CURRENT_STEP"
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
