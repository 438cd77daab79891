# shellcheck shell=bash
# What every rolling gate shares (scripts/roll-master.sh for a master, scripts/roll-etcd-node.sh
# for a dedicated etcd node): its settings from K8SHA_ROLL_*, progress lines, the undo list a
# failure replays, the stop that names the step, the "no activity in any ASG" check, the
# preflight passed twice in a row, the instance to roll, and the wait for a replacement's boot and
# the validation after it. Sourced after common.sh
# and cluster-aws.sh; the gate sets `name`, `interval` and defines `gate_preflight` (one pass of
# every check, run from the instance `gate_helper` names) before it calls `validated`.

# need NAME : the value of K8SHA_ROLL_<NAME>, which must be set.
need() {
  local var="K8SHA_ROLL_$1"
  [[ -n "${!var:-}" ]] || die "$var must be set"
  printf '%s\n' "${!var}"
}

# whole_numbers VALUE... : every value is a whole number (counts and durations).
whole_numbers() {
  local n
  for n in "$@"; do
    [[ "$n" =~ ^[0-9]+$ ]] || die "K8SHA_ROLL_* counts and durations must be whole numbers, got '$n'"
  done
}

progress() { printf '%s: %s\n' "${name:?the gate sets name}" "$*"; }

undo=() # what a failure before the replacement puts back, newest first
# The gate's last words when it stops: which nodes are untouched and how to resume.
ROLL_GATE_RESUME="fix the cause and run \`pulumi up\` again to resume (a node already current is skipped)."

roll_gate_on_exit() {
  local rc=$?
  trap - EXIT
  if ((rc != 0)); then
    local i
    for ((i = ${#undo[@]} - 1; i >= 0; i--)); do
      progress "undo: ${undo[i]}"
      eval "${undo[i]}" >/dev/null 2>&1 || progress "undo failed: ${undo[i]}"
    done
    progress "STOPPED at step '$K8SHA_CURRENT_STEP' (exit $rc). ${ROLL_GATE_UNTOUCHED:-The nodes after this one are untouched};" \
      "$ROLL_GATE_RESUME"
  fi
  exit "$rc"
}

stop() { # stop REASON : the gate ends here, naming the step (roll_gate_on_exit prints it)
  progress "FAILED: $*"
  exit 1
}

# asgs_idle ASGS : no launch or termination in progress in any of the comma-separated ASGS.
asgs_idle() {
  local group busy rc=0
  local -a all
  IFS=, read -r -a all <<<"$1"
  for group in "${all[@]}"; do
    busy="$(aws_ autoscaling describe-scaling-activities --auto-scaling-group-name "$group" --max-items 10 \
      --query "length(Activities[?StatusCode!='Successful' && StatusCode!='Failed' && StatusCode!='Cancelled'])" \
      --output text)" || return 1
    if [[ "$busy" != 0 ]]; then
      echo "FAIL asg-activity: $group has $busy activities in progress"
      rc=1
    fi
  done
  ((rc == 0)) && echo "ok asg-activity: none in progress"
  return "$rc"
}

# validated SECONDS : `gate_preflight HELPER` passes twice in a row, `interval` apart, within
# SECONDS; HELPER is `gate_helper`'s answer at each pass.
validated() {
  local deadline=$(($(date +%s) + $1)) passes=0 helper
  while (($(date +%s) < deadline)); do
    if helper="$(gate_helper)" && gate_preflight "$helper"; then
      passes=$((passes + 1))
      progress "validation passed ($passes/2)"
      ((passes < 2)) || return 0
    else
      passes=0
      progress "validation not passed yet; checking again in ${interval:?the gate sets interval}s"
    fi
    sleep "$interval"
  done
  return 1
}

# wait_replacement ASG OLD SECONDS GRACE [READY] : waits until ASG's InService instance is not OLD
# and tagged boot succeeded (and `READY INSTANCE` passes, when given); sets `replacement` to its
# id. A failed boot attempt is tolerated for GRACE seconds (the boot unit retries), then the gate
# stops. Runs in the gate's own shell (no command substitution), so a stop ends the gate.
replacement=""
_wr_asg="" _wr_old="" _wr_grace=0 _wr_ready="" _wr_boot="" _wr_failed_since=""
_replacement_booted() {
  replacement="$(in_service "$_wr_asg")" || return 1
  if [[ -z "$replacement" || "$replacement" == "$_wr_old" ]]; then
    progress "waiting for the ASG to launch a replacement of $_wr_old"
    return 1
  fi
  _wr_boot="$(tag_of "$replacement" "$CLUSTER_AWS_BOOT_STATUS_TAG")"
  progress "replacement $replacement: boot ${_wr_boot:-in progress}"
  if [[ "$_wr_boot" == failed* ]]; then
    _wr_failed_since="${_wr_failed_since:-$(date +%s)}"
    (($(date +%s) - _wr_failed_since < _wr_grace)) ||
      stop "the replacement $replacement failed its boot ($_wr_boot) for ${_wr_grace}s; see docs/boot-failures.md"
    return 1
  fi
  _wr_failed_since=""
  [[ "$_wr_boot" == succeeded ]] || return 1
  [[ -z "$_wr_ready" ]] || "$_wr_ready" "$replacement"
}
wait_replacement() {
  local seconds="$3"
  _wr_asg="$1" _wr_old="$2" _wr_grace="$4" _wr_ready="${5:-}" _wr_boot="" _wr_failed_since=""
  replacement=""
  wait_until "$seconds" "the replacement of $_wr_old to boot" _replacement_booted ||
    stop "no healthy replacement of $_wr_old within ${seconds}s (last: ${replacement:-none}, boot ${_wr_boot:-?})"
}

# gate_instance ASG : the ASG's instance in service into `instance`. None: the ASG launches one
# from the current template, so the gate has nothing to roll and ends here (exit 0).
gate_instance() {
  instance="$(in_service "$1")" || stop "cannot read the ASG $1"
  if [[ -z "$instance" ]]; then
    progress "no instance in service: the ASG launches it from the current template; nothing to roll"
    exit 0
  fi
}

# replaced_and_validated ASG OLD SECONDS GRACE [READY_FN] : steps wait-replacement (OLD's
# replacement booted, wait_replacement) and validate-replacement (the preflight passed twice
# within what is left of SECONDS, the replacement on the template's node spec `spec`).
replaced_and_validated() {
  local t0
  step wait-replacement
  t0="$(date +%s)"
  wait_replacement "$@"
  step validate-replacement
  validated "$(($3 - ($(date +%s) - t0)))" ||
    stop "the cluster did not validate twice within ${3}s of replacing $2"
  [[ "$(tag_of "$replacement" "$TAG_NODE_SPEC")" == "${spec:?the gate sets spec}" ]] ||
    stop "the replacement $replacement does not run node spec $spec"
  progress "replaced $2 by $replacement"
}
