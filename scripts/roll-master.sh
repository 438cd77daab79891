#!/usr/bin/env bash
# Rolling gate of ONE master: run by `pulumi up` (RollGate component, @pulumi/command) on the
# operator's machine after this master's launch template and ASG were updated, and before the
# next master's are (the graph serialises the gates). Like kops' rolling update and Cluster API's
# KubeadmControlPlane rollout, one master at a time, never costing etcd quorum:
#   0. nothing to do when the ASG's instance already carries this template's node-spec
#      fingerprint and Kubernetes version (instance tags from the launch template), or has no
#      instance yet (it launches from the current template): a re-run resumes where it stopped;
#   1. preflight, passed twice in a row (bounded wait): on a healthy OTHER master through SSM Run
#      Command, `k8sha-control-plane preflight` (every etcd member healthy and voting, the
#      member count, no alarm, one leader, every control-plane Node and static pod Ready); from
#      here, every NLB target healthy, no activity in progress in any master ASG, a backup
#      younger than the allowed age in S3;
#   2. etcd leadership moved off this master;
#   3. its target deregistered and the deregistration delay waited out, its Node drained;
#   4. an in-place upgrade when only the version differs (`kubeadm upgrade apply` on the first
#      master, `upgrade node` on the others, then kubelet), else the instance replaced through
#      its ASG (a version change together with another change: upgrade first, then replace);
#   5. the wait (bounded) for the result: a new instance booted (boot-status tag), its target
#      healthy, the preflight passed twice again (N members, the new Node Ready, the old gone);
#   6. any failure stops the gate naming the step; what it undid (target, cordon) is logged.
# Every line it prints is a progress line; the last says what was done.
#
# Environment (RollGate sets every K8SHA_ROLL_* from the graph):
#   K8SHA_ROLL_REGION, K8SHA_ROLL_CLUSTER, K8SHA_ROLL_MEMBER (0-based), K8SHA_ROLL_MASTERS,
#   K8SHA_ROLL_ASG, K8SHA_ROLL_MASTER_ASGS (comma-separated, master 0 first),
#   K8SHA_ROLL_TARGET_GROUP_ARN, K8SHA_ROLL_STABLE_ADDRESS, K8SHA_ROLL_NODE_SPEC,
#   K8SHA_ROLL_KUBERNETES_VERSION, K8SHA_ROLL_BACKUP_BUCKET and K8SHA_ROLL_BACKUP_PREFIX ("" for no
#   backup check), K8SHA_ROLL_BACKUP_MAX_AGE_MINUTES, K8SHA_ROLL_TIMEOUT_SECONDS (the wait for a
#   replacement), K8SHA_ROLL_INTERVAL_SECONDS, K8SHA_ROLL_DEREGISTRATION_SECONDS
#   K8SHA_ROLL_PREFLIGHT_SECONDS  how long the preflight may take to pass twice    (300)
#   K8SHA_ROLL_BOOT_FAILURE_GRACE_SECONDS  how long a replacement may report a failed boot
#                                 attempt before the gate stops (its unit retries)  (300)
#   K8SHA_ROLL_NODE_CLI           the masters' operations CLI (/opt/k8sha/bin/k8sha-control-plane)
#   K8SHA_AWS                     AWS CLI (aws); credentials and region as for `pulumi up`
set -euo pipefail

# The component runs this file concatenated after common.sh and cluster-aws.sh; run by hand it
# sources them.
if ! declare -F validated >/dev/null; then
  # shellcheck source=SCRIPTDIR/../cloud-init/lib/common.sh
  . "$(dirname "${BASH_SOURCE[0]}")/../cloud-init/lib/common.sh"
  # shellcheck source=SCRIPTDIR/../cloud-init/lib/cluster-aws.sh
  . "$(dirname "${BASH_SOURCE[0]}")/../cloud-init/lib/cluster-aws.sh"
  # shellcheck source=SCRIPTDIR/lib/roll-gate.sh
  . "$(dirname "${BASH_SOURCE[0]}")/lib/roll-gate.sh"
fi
K8SHA_LOG_TAG=roll-master
K8SHA_CURRENT_STEP=start
region="$(need REGION)"
cluster="$(need CLUSTER)"
member="$(need MEMBER)"
masters="$(need MASTERS)"
asg="$(need ASG)"
master_asgs="$(need MASTER_ASGS)"
target_group="$(need TARGET_GROUP_ARN)"
address="$(need STABLE_ADDRESS)"
spec="$(need NODE_SPEC)"
version="$(need KUBERNETES_VERSION)"
backup_bucket="${K8SHA_ROLL_BACKUP_BUCKET:-}"
backup_prefix="${K8SHA_ROLL_BACKUP_PREFIX:-}"
backup_max_age="${K8SHA_ROLL_BACKUP_MAX_AGE_MINUTES:-120}"
timeout="${K8SHA_ROLL_TIMEOUT_SECONDS:-1200}"
interval="${K8SHA_ROLL_INTERVAL_SECONDS:-10}"
deregistration="${K8SHA_ROLL_DEREGISTRATION_SECONDS:-30}"
preflight_timeout="${K8SHA_ROLL_PREFLIGHT_SECONDS:-300}"
boot_failure_grace="${K8SHA_ROLL_BOOT_FAILURE_GRACE_SECONDS:-300}"
node_cli="${K8SHA_ROLL_NODE_CLI:-/opt/k8sha/bin/k8sha-control-plane}"
whole_numbers "$member" "$masters" "$backup_max_age" "$timeout" "$deregistration" "$preflight_timeout" \
  "$boot_failure_grace"
[[ "$interval" =~ ^[1-9][0-9]*$ ]] || die "K8SHA_ROLL_INTERVAL_SECONDS must be a positive integer"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "K8SHA_ROLL_KUBERNETES_VERSION must be X.Y.Z, got '$version'"
# wait_until's back-off becomes a fixed poll interval.
K8SHA_RETRY_BASE="$interval"
K8SHA_RETRY_CAP="$interval"
TAG_NODE_SPEC="k8sha.io/node-spec"
TAG_KUBERNETES_VERSION="k8sha.io/kubernetes-version"
TAG_BOOT_STATUS="$CLUSTER_AWS_BOOT_STATUS_TAG"
CLUSTER_AWS_REGION="$region"
CLUSTER_AWS_NODE_CLI="$node_cli"
CLUSTER_AWS_COMMENT="k8sha roll $cluster master $member"
CLUSTER_AWS_ATTEMPTS="${K8SHA_ROLL_AWS_ATTEMPTS:-4}"
name="master $member"
started="$(date +%s)"
ROLL_GATE_UNTOUCHED="The masters after this one are untouched"
trap roll_gate_on_exit EXIT

# helper_master : a master other than this one, InService, whose boot succeeded (this one on a
# single-master cluster, which has no other).
helper_master() {
  if ((masters == 1)); then healthy_master "$master_asgs"; else healthy_master "$master_asgs" "$asg"; fi
}

# gate_helper : the instance the preflight runs on (roll-gate.sh's `validated` asks).
gate_helper() { helper_master; }

# gate_preflight HELPER : every check once; all must pass.
gate_preflight() {
  local rc=0
  run_on "$1" 120 preflight --masters "$masters" || rc=1
  targets_healthy "$target_group" "$masters" || rc=1
  asgs_idle "$master_asgs" || rc=1
  backup_fresh "$backup_bucket" "$backup_prefix" "$backup_max_age" || rc=1
  return "$rc"
}

target_state() { # target_state INSTANCE : its state in the API target group
  aws_ elbv2 describe-target-health --target-group-arn "$target_group" --targets "Id=$1" \
    --query 'TargetHealthDescriptions[0].TargetHealth.State' --output text
}

take_out() { # take_out INSTANCE : leadership away, target deregistered and drained, Node drained
  local instance="$1" helper state
  helper="$(helper_master)" || stop "no healthy master left to run the steps from"
  step move-leader
  if ((masters > 1)); then
    run_on "$helper" 120 move-leader --from "$address" || stop "etcd leadership could not be moved off $address"
  fi
  step deregister
  aws_ elbv2 deregister-targets --target-group-arn "$target_group" --targets "Id=$instance" >/dev/null ||
    stop "deregistering $instance failed"
  undo+=("aws_call elbv2 register-targets --target-group-arn '$target_group' --targets 'Id=$instance'")
  target_gone() {
    state="$(target_state "$instance")" || return 1
    progress "target $instance: $state"
    [[ "$state" == unused || "$state" == None ]]
  }
  wait_until "$((deregistration + 120))" "target $instance deregistered" target_gone ||
    stop "target $instance still '$state' after the deregistration delay"
  step drain
  undo+=("run_on '$helper' 120 uncordon --address '$address'")
  run_on "$helper" 600 drain --address "$address" --timeout 300 || stop "draining the Node at $address failed"
}

upgrade_in_place() { # upgrade_in_place INSTANCE
  local instance="$1" helper
  take_out "$instance"
  step upgrade
  run_on "$instance" "$timeout" upgrade --version "$version" || stop "the in-place upgrade to $version failed on $instance"
  helper="$(helper_master)" || stop "no healthy master left"
  run_on "$helper" 120 uncordon --address "$address" || stop "uncordoning the Node at $address failed"
  aws_ elbv2 register-targets --target-group-arn "$target_group" --targets "Id=$instance" >/dev/null ||
    stop "registering $instance again failed"
  undo=()
  step validate-upgrade
  validated "$timeout" || stop "the cluster did not validate twice within ${timeout}s after the upgrade"
  aws_ ec2 create-tags --resources "$instance" --tags "Key=$TAG_KUBERNETES_VERSION,Value=$version" >/dev/null ||
    stop "recording version $version on $instance failed"
  progress "upgraded in place to $version"
}

target_ready() { # target_ready INSTANCE : its target is healthy behind the API load balancer
  local state
  state="$(target_state "$1")" || return 1
  progress "replacement $1: target $state"
  [[ "$state" == healthy ]]
}

replace_instance() { # replace_instance INSTANCE
  local old="$1"
  take_out "$old"
  step replace
  aws_ autoscaling terminate-instance-in-auto-scaling-group --instance-id "$old" \
    --no-should-decrement-desired-capacity >/dev/null || stop "the ASG refused to replace $old"
  undo=() # from here the old instance is going: nothing to put back
  replaced_and_validated "$asg" "$old" "$timeout" "$boot_failure_grace" target_ready
}

step current
gate_instance "$asg"
have_spec="$(tag_of "$instance" "$TAG_NODE_SPEC")"
have_version="$(tag_of "$instance" "$TAG_KUBERNETES_VERSION")"
if [[ -z "$have_version" ]]; then
  # An instance launched before templates carried the tag: its Node says which kubelet it runs.
  helper="$(helper_master)" || stop "$instance has no version tag and no healthy master can tell its version"
  have_version="$(run_on "$helper" 60 versions | awk -v ip="$address" '$1 == "node" && $3 == ip { sub(/^v/, "", $4); print $4 }')"
  [[ -n "$have_version" ]] || stop "$instance has no version tag and no Node at $address"
fi
if [[ "$have_spec" == "$spec" && "$have_version" == "$version" ]]; then
  boot="$(tag_of "$instance" "$TAG_BOOT_STATUS")"
  # Replacing it again would fail the same way; its boot unit retries, and the next gate's
  # preflight waits for (or refuses without) a healthy member here.
  [[ "$boot" != failed* ]] || progress "WARNING: the last boot attempt of $instance failed ($boot);" \
    "if it does not recover, fix the cause and terminate it (its ASG launches another)"
  progress "$instance already runs node spec $spec at Kubernetes $version; skipped"
  exit 0
fi
# The guard before `pulumi up` compares with the version the WHOLE control plane reached; after a
# stopped upgrade some masters are already newer, and kubeadm cannot take one back.
if [[ "$(printf '%s\n%s\n' "$have_version" "$version" | sort -V | head -n 1)" != "$have_version" ]]; then
  stop "$instance runs Kubernetes $have_version, newer than the template's $version: masters are never downgraded"
fi
progress "$instance runs node spec ${have_spec:-unknown} at ${have_version:-unknown};" \
  "the template has $spec at $version"
((masters > 1)) || progress "WARNING: a single master: the API is down while it is replaced"

step preflight
validated "$preflight_timeout" || stop "the cluster did not pass the preflight twice within ${preflight_timeout}s"
if [[ -n "$have_version" && "$have_version" != "$version" ]]; then
  upgrade_in_place "$instance"
  have_version="$version"
  if [[ "$have_spec" != "$spec" ]]; then
    step preflight
    validated "$preflight_timeout" || stop "the cluster did not pass the preflight again"
  fi
fi
if [[ "$have_spec" != "$spec" ]]; then replace_instance "$instance"; fi
step finished
progress "rolled in $(($(date +%s) - started)) s"
