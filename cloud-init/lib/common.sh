# shellcheck shell=bash
# Shared helpers for every boot script: logging, step tracking, bounded retries.
# Sourced, never executed. Callers run with `set -euo pipefail`.
#
# Environment (all optional, defaults suit a real node; tests point them at a temp dir):
#   K8SHA_STATE_DIR   where step and success markers live       (/var/lib/k8sha)
#   K8SHA_LOG_TAG     syslog/journal tag                        (k8sha)
#   K8SHA_RETRY_MAX   attempts per retried command              (8)
#   K8SHA_RETRY_BASE  first back-off in seconds, doubled/try    (2)
#   K8SHA_RETRY_CAP   longest single back-off in seconds        (30)

K8SHA_STATE_DIR="${K8SHA_STATE_DIR:-/var/lib/k8sha}"
K8SHA_LOG_TAG="${K8SHA_LOG_TAG:-k8sha}"
K8SHA_CURRENT_STEP="${K8SHA_CURRENT_STEP:-startup}"
# etcdctl/etcdutl on a master: the copies etcd-tools.sh takes out of kubeadm's etcd image. Set
# here, first, so every library and the backup and restore entry points agree on one path.
K8SHA_ETCD_TOOLS_DIR="${K8SHA_ETCD_TOOLS_DIR:-/opt/k8sha/etcd}"
K8SHA_ETCDCTL="${K8SHA_ETCDCTL:-$K8SHA_ETCD_TOOLS_DIR/etcdctl}"
K8SHA_ETCDUTL="${K8SHA_ETCDUTL:-$K8SHA_ETCD_TOOLS_DIR/etcdutl}"

# log MESSAGE... : one timestamped line on stderr (captured by cloud-init's log and the journal).
log() {
  printf '%s %s[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$K8SHA_LOG_TAG" "$K8SHA_CURRENT_STEP" "$*" >&2
}

# die MESSAGE... : log and exit non-zero. The EXIT trap of the entry script records the failure.
die() {
  log "FATAL: $*"
  exit 1
}

# step NAME : announce a step; the name is what a failure report will point at.
step() {
  K8SHA_CURRENT_STEP="$1"
  mkdir -p "$K8SHA_STATE_DIR"
  printf '%s\n' "$1" >"$K8SHA_STATE_DIR/current-step"
  log "begin"
}

# step_done NAME : mark a step finished so a reboot can skip it (idempotence).
step_done() {
  mkdir -p "$K8SHA_STATE_DIR/steps"
  : >"$K8SHA_STATE_DIR/steps/$1.done"
  log "done"
}

# step_is_done NAME : true when a previous boot already finished this step.
step_is_done() {
  [[ -f "$K8SHA_STATE_DIR/steps/$1.done" ]]
}

# run_step NAME FUNCTION [ARGS...] : run FUNCTION once across reboots, logged as NAME.
run_step() {
  local name="$1"
  shift
  if step_is_done "$name"; then
    K8SHA_CURRENT_STEP="$name"
    log "already done on an earlier boot; skipping"
    return 0
  fi
  step "$name"
  "$@"
  step_done "$name"
}

# backoff_seconds ATTEMPT : exponential back-off (base * 2^(attempt-1)) capped at K8SHA_RETRY_CAP.
backoff_seconds() {
  local attempt="$1" base="${K8SHA_RETRY_BASE:-2}" cap="${K8SHA_RETRY_CAP:-30}" delay
  delay=$((base * (1 << (attempt - 1))))
  if ((delay > cap || delay <= 0)); then delay="$cap"; fi
  printf '%s\n' "$delay"
}

# retry COMMAND [ARGS...] : run until it succeeds, at most K8SHA_RETRY_MAX attempts with
# capped exponential back-off. Returns the last exit code when every attempt failed.
retry() {
  local max="${K8SHA_RETRY_MAX:-8}" attempt=1 rc=0
  while true; do
    if "$@"; then return 0; else rc=$?; fi
    if ((attempt >= max)); then
      log "giving up after $attempt attempts (exit $rc): $1"
      return "$rc"
    fi
    local delay
    delay="$(backoff_seconds "$attempt")"
    log "attempt $attempt/$max failed (exit $rc): $1; retrying in ${delay}s"
    sleep "$delay"
    attempt=$((attempt + 1))
  done
}

# wait_until TIMEOUT_SECONDS DESCRIPTION COMMAND [ARGS...] : poll COMMAND with capped
# back-off until it succeeds or TIMEOUT_SECONDS have passed (then return 1).
wait_until() {
  local timeout="$1" what="$2" attempt=1 start now delay
  shift 2
  start="$(date +%s)"
  while true; do
    if "$@"; then return 0; fi
    now="$(date +%s)"
    if ((now - start >= timeout)); then
      log "timed out after ${timeout}s waiting for: $what"
      return 1
    fi
    delay="$(backoff_seconds "$attempt")"
    log "waiting for: $what (next check in ${delay}s)"
    sleep "$delay"
    attempt=$((attempt + 1))
  done
}

# install_daily_timer UNIT_DIR UNIT DESCRIPTION : UNIT.timer, starting UNIT.service daily at a
# random time within 6 h (the service itself serialises nodes that overlap), an hour after a boot,
# and catching up a run missed while the node was off (Persistent=); enabled at once.
install_daily_timer() {
  cat >"$1/$2.timer" <<EOF
[Unit]
Description=$3

[Timer]
OnCalendar=daily
OnBootSec=1h
RandomizedDelaySec=6h
Persistent=true
AccuracySec=1min

[Install]
WantedBy=timers.target
EOF
  "${K8SHA_SYSTEMCTL:-systemctl}" daemon-reload
  "${K8SHA_SYSTEMCTL:-systemctl}" enable --now "$2.timer"
}

# mark_success : the success marker checked by operators, tests and the readiness tooling.
mark_success() {
  mkdir -p "$K8SHA_STATE_DIR"
  date -u +%Y-%m-%dT%H:%M:%SZ >"$K8SHA_STATE_DIR/boot-succeeded"
  rm -f "$K8SHA_STATE_DIR/boot-failed"
  log "boot finished successfully"
}

# record_failure EXIT_CODE : write the failure marker naming the failed step. Entry scripts
# call this from their EXIT trap, then report it further (instance tag) when they can.
record_failure() {
  local rc="$1"
  mkdir -p "$K8SHA_STATE_DIR"
  printf 'step=%s exit=%s at=%s\n' "$K8SHA_CURRENT_STEP" "$rc" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    >"$K8SHA_STATE_DIR/boot-failed"
  log "BOOT FAILED in step '$K8SHA_CURRENT_STEP' (exit $rc); see $K8SHA_STATE_DIR/boot-failed"
}
