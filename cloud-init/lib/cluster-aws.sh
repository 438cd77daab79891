# shellcheck shell=bash
# The AWS side of a cluster as the operator's tools see it: the master ASGs' instances and their
# boot-status tags, SSM Run Command of `k8sha-control-plane` on a master, the API target group,
# the newest etcd snapshot in S3. Shared by the rolling gate (scripts/roll-master.sh) and
# `k8sha-validate` (scripts/k8sha-validate.sh), on the operator's machine or on a master.
# Sourced after common.sh (retry, die).
#
# Environment:
#   CLUSTER_AWS_REGION    the cluster's region (required)
#   CLUSTER_AWS_NODE_CLI  the masters' operations CLI        (/opt/k8sha/bin/k8sha-control-plane)
#   CLUSTER_AWS_COMMENT   the Run Command comment            (k8sha)
#   CLUSTER_AWS_ATTEMPTS  attempts per AWS call              (4)
#   K8SHA_AWS             the AWS CLI                        (aws)

CLUSTER_AWS_BOOT_STATUS_TAG="k8sha.io/boot-status"

aws_call() { "${K8SHA_AWS:-aws}" --region "${CLUSTER_AWS_REGION:?CLUSTER_AWS_REGION must be set}" "$@"; }
# aws_ COMMAND... : an AWS call, retried a few times (throttling, a dropped connection).
aws_() { K8SHA_RETRY_MAX="${CLUSTER_AWS_ATTEMPTS:-4}" K8SHA_RETRY_BASE=2 K8SHA_RETRY_CAP=10 retry aws_call "$@"; }

# in_service ASG : the InService instance of a single-instance ASG ("" when none).
in_service() {
  aws_ autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$1" \
    --query "AutoScalingGroups[0].Instances[?LifecycleState=='InService'].InstanceId | [0]" --output text |
    sed 's/^None$//'
}

# tag_of INSTANCE KEY : the instance's tag value ("" when absent).
tag_of() {
  aws_ ec2 describe-instances --instance-ids "$1" \
    --query "Reservations[0].Instances[0].Tags[?Key=='$2'].Value | [0]" --output text | sed 's/^None$//'
}

# run_on INSTANCE SECONDS ARGS... : `k8sha-control-plane ARGS...` on INSTANCE through SSM Run
# Command; its output lines are printed indented; the command's exit status is returned.
run_on() {
  local instance="$1" seconds="$2" id status="" code out deadline errors=0 err
  shift 2
  local line="${CLUSTER_AWS_NODE_CLI:-/opt/k8sha/bin/k8sha-control-plane} $*"
  [[ "$line" =~ ^[A-Za-z0-9\ ./=_:,-]+$ ]] || die "refusing to send an unquoted command line: $line"
  id="$(aws_ ssm send-command --instance-ids "$instance" --document-name AWS-RunShellScript \
    --comment "${CLUSTER_AWS_COMMENT:-k8sha}" \
    --parameters "{\"commands\":[\"$line\"],\"executionTimeout\":[\"$seconds\"]}" \
    --query Command.CommandId --output text)" || return 1
  deadline=$(($(date +%s) + seconds + 60))
  err="$(mktemp)"
  while (($(date +%s) < deadline)); do
    if status="$(aws_call ssm get-command-invocation --command-id "$id" --instance-id "$instance" \
      --query Status --output text 2>"$err")"; then
      case "$status" in Success | Failed | Cancelled | TimedOut) break ;; esac
    elif ! grep -q InvocationDoesNotExist "$err"; then
      # Right after send-command the invocation may not exist yet; anything else is retried briefly.
      errors=$((errors + 1))
      ((errors < 5)) || { cat "$err" >&2; rm -f "$err"; return 1; }
    fi
    sleep 1
  done
  rm -f "$err"
  out="$(aws_ ssm get-command-invocation --command-id "$id" --instance-id "$instance" \
    --query '[ResponseCode, StandardOutputContent]' --output text)" || return 1
  code="${out%%[[:space:]]*}"
  printf '%s\n' "${out#*[[:space:]]}" | sed '/^$/d; s/^/    /'
  [[ "$status" == Success && "$code" == 0 ]]
}

# healthy_master ASGS [EXCEPT] : the InService instance of the first ASG of the comma-separated
# ASGS (other than EXCEPT) whose boot succeeded; fails when there is none.
healthy_master() {
  local group instance
  local -a all
  IFS=, read -r -a all <<<"$1"
  for group in "${all[@]}"; do
    [[ "$group" != "${2:-}" ]] || continue
    instance="$(in_service "$group")"
    [[ -n "$instance" ]] || continue
    if [[ "$(tag_of "$instance" "$CLUSTER_AWS_BOOT_STATUS_TAG")" == succeeded ]]; then
      printf '%s\n' "$instance"
      return 0
    fi
  done
  return 1
}

# targets_healthy TARGET_GROUP WANT : `ok`/`FAIL targets:` line; fails unless WANT targets are
# healthy behind the API load balancer (the others are named with their state).
targets_healthy() {
  local rows healthy others
  rows="$(aws_ elbv2 describe-target-health --target-group-arn "$1" \
    --query "TargetHealthDescriptions[].[Target.Id, TargetHealth.State]" --output text)" || {
    echo "FAIL targets: cannot describe the target group's health"
    return 1
  }
  healthy="$(awk '$2 == "healthy"' <<<"$rows" | grep -c . || true)"
  others="$(awk '$2 != "healthy" && NF { printf "%s%s %s", sep, $1, $2; sep = ", " }' <<<"$rows")"
  if [[ "$healthy" == "$2" ]]; then echo "ok targets: $healthy/$2 healthy"; else
    echo "FAIL targets: $healthy/$2 healthy${others:+ ($others)}"
    return 1
  fi
}

# backup_fresh BUCKET PREFIX MAX_MINUTES : `ok`/`FAIL backup:` line; fails unless the newest
# snapshot under PREFIX/all/ (verified before upload by the backup) is at most MAX_MINUTES old.
backup_fresh() {
  if [[ -z "$1" ]]; then
    echo "ok backup: backups are off; no check"
    return 0
  fi
  local newest age
  # An empty prefix has no Contents at all: sort_by(null) would be a JMESPath error. The
  # backquotes are JMESPath's literal, not a command substitution.
  # shellcheck disable=SC2016
  newest="$(aws_ s3api list-objects-v2 --bucket "$1" --prefix "${2}all/" \
    --query 'sort_by(Contents || `[]`, &LastModified)[-1].LastModified' --output text)" || {
    echo "FAIL backup: cannot list s3://$1/${2}all/"
    return 1
  }
  if [[ -z "$newest" || "$newest" == None ]]; then
    echo "FAIL backup: no snapshot under s3://$1/${2}all/"
    return 1
  fi
  age=$((($(date +%s) - $(date -d "$newest" +%s)) / 60))
  if ((age <= $3)); then echo "ok backup: newest snapshot ${age} min old"; else
    echo "FAIL backup: newest snapshot ${age} min old (at most $3 allowed)"
    return 1
  fi
}
