#!/usr/bin/env bash
# k8sha-validate: is the cluster healthy, in one command, like `kops validate cluster`.
#   k8sha-validate STACK          on the operator's machine (`npm run validate -- STACK`): the
#                                 target from `pulumi stack output validationTarget`; the in-cluster
#                                 checks run on a healthy master through SSM Run Command, so an
#                                 internal API needs no network path from here.
#   k8sha-validate --on-master    on a master (an SSM Session Manager shell): the target from the
#                                 SSM parameter <ssm prefix>/validation; the in-cluster checks run here.
#   k8sha-validate --target FILE  the target from a file (a saved `validationTarget` output).
# Checks: every master ASG has an instance in service, every instance of the cluster's ASGs
# booted (boot-status tag), the API's /readyz, the etcd members, their health and leader, every
# control-plane Node and static pod Ready, each pool's Ready Nodes against its minimum, every
# master healthy behind the API load balancer, the newest etcd snapshot's age, alarms in ALARM.
# Output: one line per check, `ok <check>: <detail>` or `FAIL <check>: <detail>`, then
# `result: pass` or `result: fail`; exit 0 on pass, 1 on fail, 2 on a usage error. Progress and
# AWS errors go to stderr.
#
# Environment: K8SHA_AWS (the AWS CLI: aws; credentials as for `pulumi up`, or the master's
# role), K8SHA_PULUMI (pulumi), K8SHA_VALIDATE_NODE_CLI (/opt/k8sha/bin/k8sha-control-plane),
# K8SHA_NODE_ENV (/etc/k8sha/node.env, on a master).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="${K8SHA_LIB_DIR:-}"
if [[ -z "$lib" ]]; then
  if [[ -f "$here/../cloud-init/lib/cluster-aws.sh" ]]; then lib="$here/../cloud-init/lib"; else lib=/opt/k8sha/lib; fi
fi
# shellcheck source=SCRIPTDIR/../cloud-init/lib/common.sh
. "$lib/common.sh"
# shellcheck source=SCRIPTDIR/../cloud-init/lib/cluster-aws.sh
. "$lib/cluster-aws.sh"
K8SHA_LOG_TAG=k8sha-validate
K8SHA_CURRENT_STEP=target
FAILED=0
DONE=0
# An unexpected stop (a die, errexit) still ends with a FAIL line and the result line.
on_exit() {
  local rc=$?
  trap - EXIT
  if ((rc != 0 && rc != 2 && !DONE)); then
    printf 'FAIL %s: stopped (exit %s); the log on stderr says why\nresult: fail\n' "$K8SHA_CURRENT_STEP" "$rc"
    exit 1
  fi
  exit "$rc"
}
trap on_exit EXIT

ok() { printf 'ok %s: %s\n' "$1" "$2"; }
fail() {
  printf 'FAIL %s: %s\n' "$1" "$2"
  FAILED=1
}
usage() {
  printf 'usage: k8sha-validate STACK | --on-master | --target FILE\nFAIL usage: %s\nresult: fail\n' "$1" >&2
  exit 2
}

# load_target TEXT : the target's KEY=value lines into T_<KEY>; an unknown key or a value with
# anything but name/ARN characters is refused (the text comes from a stack output or SSM).
load_target() {
  local key value
  while IFS='=' read -r key value; do
    [[ -n "$key" ]] || continue
    case "$key" in
      CLUSTER | REGION | MASTERS | MASTER_ASGS | TARGET_GROUP_ARN | BACKUP_BUCKET | BACKUP_PREFIX | \
        BACKUP_MAX_AGE_MINUTES | ALARM_PREFIX | POOL_LABEL | POOLS | POOL_ASGS | ETCD_ASGS) ;;
      *) die "unknown key '$key' in the validation target" ;;
    esac
    [[ "$value" =~ ^[A-Za-z0-9:/._,=-]*$ ]] || die "unexpected characters in $key of the validation target"
    printf -v "T_$key" '%s' "$value"
  done <<<"$1"
  for key in CLUSTER REGION MASTERS MASTER_ASGS TARGET_GROUP_ARN BACKUP_MAX_AGE_MINUTES POOL_LABEL; do
    value="T_$key"
    [[ -n "${!value:-}" ]] || die "the validation target has no $key"
  done
  [[ "$T_MASTERS" =~ ^[1-9][0-9]*$ && "$T_BACKUP_MAX_AGE_MINUTES" =~ ^[0-9]+$ ]] ||
    die "MASTERS and BACKUP_MAX_AGE_MINUTES of the validation target must be whole numbers"
}

mode="${1:-}"
case "$mode" in
  "") usage "a stack, --on-master or --target FILE" ;;
  --on-master)
    K8SHA_NODE_ENV="${K8SHA_NODE_ENV:-/etc/k8sha/node.env}"
    [[ -r "$K8SHA_NODE_ENV" ]] || die "cannot read $K8SHA_NODE_ENV: --on-master runs on a master"
    # shellcheck source=/dev/null
    . "$K8SHA_NODE_ENV"
    CLUSTER_AWS_REGION="${AWS_REGION:?AWS_REGION must be set (node.env)}"
    target="$(aws_ ssm get-parameter --name "${SSM_PREFIX:?SSM_PREFIX must be set (node.env)}/validation" \
      --query Parameter.Value --output text)" || die "cannot read ${SSM_PREFIX}/validation"
    ;;
  --target)
    [[ -r "${2:-}" ]] || usage "--target needs a readable file"
    target="$(cat "$2")"
    ;;
  -*) usage "unknown option: $mode" ;;
  *)
    [[ "$mode" =~ ^[A-Za-z0-9._/-]+$ ]] || usage "not a stack name: $mode"
    target="$("${K8SHA_PULUMI:-pulumi}" stack output validationTarget --stack "$mode")" ||
      die "cannot read the validationTarget output of stack $mode (pulumi login, and \`pulumi up\` first)"
    ;;
esac
load_target "$target"
CLUSTER_AWS_REGION="$T_REGION"
CLUSTER_AWS_NODE_CLI="${K8SHA_VALIDATE_NODE_CLI:-/opt/k8sha/bin/k8sha-control-plane}"
CLUSTER_AWS_COMMENT="k8sha validate $T_CLUSTER"
log "validating cluster $T_CLUSTER in $T_REGION"

# The ASGs: an instance in service per master and per etcd node (external etcd), and every
# in-service instance of the cluster booted.
K8SHA_CURRENT_STEP=instances
IFS=, read -r -a master_asgs <<<"$T_MASTER_ASGS"
IFS=, read -r -a pool_asgs <<<"${T_POOL_ASGS:-}"
IFS=, read -r -a etcd_asgs <<<"${T_ETCD_ASGS:-}"
for group in "${master_asgs[@]}" "${etcd_asgs[@]}"; do
  if ! instance="$(in_service "$group")"; then fail "asg/$group" "cannot describe the ASG"
  elif [[ -z "$instance" ]]; then fail "asg/$group" "no instance in service"
  else ok "asg/$group" "$instance in service"; fi
done
if rows="$(aws_ autoscaling describe-auto-scaling-groups --auto-scaling-group-names "${master_asgs[@]}" "${etcd_asgs[@]}" "${pool_asgs[@]}" \
  --query "AutoScalingGroups[].Instances[?LifecycleState=='InService'][].InstanceId" --output text)"; then
  read -r -a instances <<<"$rows"
  if ((${#instances[@]})) && tags="$(aws_ ec2 describe-instances --instance-ids "${instances[@]}" \
    --query "Reservations[].Instances[].[InstanceId, Tags[?Key=='$CLUSTER_AWS_BOOT_STATUS_TAG'].Value | [0]]" \
    --output text)"; then
    while read -r id status; do
      [[ -n "$id" ]] || continue
      case "$status" in
        succeeded) ok "boot/$id" "succeeded" ;;
        None | "") fail "boot/$id" "no boot status yet (booting, or it never reached its first step)" ;;
        *) fail "boot/$id" "$status (docs/boot-failures.md)" ;;
      esac
    done <<<"$tags"
  elif ((${#instances[@]})); then fail boot-status "cannot describe the instances"; fi
else
  fail boot-status "cannot describe the cluster's ASGs"
fi

# The cluster itself, as a master sees it.
K8SHA_CURRENT_STEP=cluster
args=(validate --masters "$T_MASTERS")
if [[ -n "${T_POOLS:-}" ]]; then args+=(--pools "$T_POOLS" --pool-label "$T_POOL_LABEL"); fi
if [[ "$mode" == --on-master ]]; then
  out="$("$CLUSTER_AWS_NODE_CLI" "${args[@]}")" || true
  where="this master"
elif helper="$(healthy_master "$T_MASTER_ASGS")"; then
  out="$(run_on "$helper" 180 "${args[@]}" | sed 's/^    //')" || true
  where="master $helper (SSM Run Command)"
else
  out=""
  fail cluster "no master in service whose boot succeeded to run the in-cluster checks on"
fi
if [[ -n "$out" ]]; then
  grep -E '^(ok|FAIL) ' <<<"$out" || true
  if grep -q '^FAIL ' <<<"$out"; then
    FAILED=1
  elif ! grep -qx 'result: pass' <<<"$out"; then
    # No red line of its own, yet no pass: the command did not finish (SSM timeout, a crash).
    fail cluster "the checks on $where did not finish: $(tail -n 1 <<<"$out")"
  fi
fi

K8SHA_CURRENT_STEP=aws
targets_healthy "$T_TARGET_GROUP_ARN" "$T_MASTERS" || FAILED=1
backup_fresh "${T_BACKUP_BUCKET:-}" "${T_BACKUP_PREFIX:-}" "$T_BACKUP_MAX_AGE_MINUTES" || FAILED=1
if [[ -z "${T_ALARM_PREFIX:-}" ]]; then
  ok alarms "monitoring is off; no alarms to check"
elif alarms="$(aws_ cloudwatch describe-alarms --alarm-name-prefix "$T_ALARM_PREFIX" --state-value ALARM \
  --query 'MetricAlarms[].AlarmName' --output text)"; then
  if [[ -z "${alarms//[[:space:]]/}" || "$alarms" == None ]]; then ok alarms "none in ALARM"; else
    fail alarms "in ALARM: $(tr -s '[:space:]' ' ' <<<"$alarms" | sed 's/ *$//') (docs/monitoring.md)"
  fi
else
  fail alarms "cannot describe the alarms named $T_ALARM_PREFIX*"
fi

DONE=1
if ((FAILED)); then
  echo "result: fail"
  exit 1
fi
echo "result: pass"
