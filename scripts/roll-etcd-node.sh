#!/usr/bin/env bash
# Rolling gate of ONE dedicated etcd node (external topology): run by `pulumi up` (EtcdRollGate,
# @pulumi/command) on the operator's machine after this node's launch template and ASG were
# updated, and before the next etcd node's are; the masters' gates come after the last one. One
# member at a time, never costing quorum, the same steps as a master's gate minus what an etcd
# node does not have (an API target, a Node, an in-place Kubernetes upgrade):
#   0. nothing to do when the ASG's instance already carries this template's node-spec
#      fingerprint, or has no instance yet (it launches from the current template);
#   1. preflight, passed twice in a row (bounded wait): on a healthy master through SSM Run
#      Command, `k8sha-control-plane preflight` (every etcd member healthy and voting, the etcd
#      member count, no alarm, one leader; every control-plane Node and static pod Ready: the API
#      servers must be able to lose this member); from here, every API target healthy, no
#      activity in progress in any etcd or master ASG, a backup younger than the allowed age;
#   2. etcd leadership moved off this member;
#   3. the instance replaced through its ASG: the replacement claims the same etcd volume and
#      stable address and comes back as the same member (docs/etcd-nodes.md); an etcd version
#      change is such a replacement, member by member, as etcd's upgrade guide does it;
#   4. the wait (bounded) for the replacement's boot (boot-status tag), then the preflight
#      passed twice again (every member back, healthy and voting);
#   5. any failure stops the gate naming the step.
# Every line it prints is a progress line; the last says what was done.
#
# Environment (EtcdRollGate sets every K8SHA_ROLL_* from the graph):
#   K8SHA_ROLL_REGION, K8SHA_ROLL_CLUSTER, K8SHA_ROLL_MEMBER (0-based), K8SHA_ROLL_MEMBERS (etcd
#   members), K8SHA_ROLL_ASG, K8SHA_ROLL_ETCD_ASGS (comma-separated, member 0 first),
#   K8SHA_ROLL_MASTERS, K8SHA_ROLL_MASTER_ASGS, K8SHA_ROLL_TARGET_GROUP_ARN,
#   K8SHA_ROLL_STABLE_ADDRESS (this member's), K8SHA_ROLL_NODE_SPEC, K8SHA_ROLL_BACKUP_BUCKET and
#   K8SHA_ROLL_BACKUP_PREFIX ("" for no backup check), K8SHA_ROLL_BACKUP_MAX_AGE_MINUTES,
#   K8SHA_ROLL_TIMEOUT_SECONDS (the wait for a replacement), K8SHA_ROLL_INTERVAL_SECONDS
#   K8SHA_ROLL_PREFLIGHT_SECONDS  how long the preflight may take to pass twice    (300)
#   K8SHA_ROLL_BOOT_FAILURE_GRACE_SECONDS  how long a replacement may report a failed boot
#                                 attempt before the gate stops (its unit retries)  (300)
#   K8SHA_ROLL_NODE_CLI           the masters' operations CLI (/opt/k8sha/bin/k8sha-control-plane)
#   K8SHA_AWS                     AWS CLI (aws); credentials and region as for `pulumi up`
set -euo pipefail

# The component runs this file concatenated after common.sh, cluster-aws.sh and roll-gate.sh; run
# by hand it sources them.
if ! declare -F validated >/dev/null; then
  # shellcheck source=SCRIPTDIR/../cloud-init/lib/common.sh
  . "$(dirname "${BASH_SOURCE[0]}")/../cloud-init/lib/common.sh"
  # shellcheck source=SCRIPTDIR/../cloud-init/lib/cluster-aws.sh
  . "$(dirname "${BASH_SOURCE[0]}")/../cloud-init/lib/cluster-aws.sh"
  # shellcheck source=SCRIPTDIR/lib/roll-gate.sh
  . "$(dirname "${BASH_SOURCE[0]}")/lib/roll-gate.sh"
fi
K8SHA_LOG_TAG=roll-etcd-node
K8SHA_CURRENT_STEP=start

region="$(need REGION)"
cluster="$(need CLUSTER)"
member="$(need MEMBER)"
members="$(need MEMBERS)"
asg="$(need ASG)"
etcd_asgs="$(need ETCD_ASGS)"
masters="$(need MASTERS)"
master_asgs="$(need MASTER_ASGS)"
target_group="$(need TARGET_GROUP_ARN)"
address="$(need STABLE_ADDRESS)"
spec="$(need NODE_SPEC)"
backup_bucket="${K8SHA_ROLL_BACKUP_BUCKET:-}"
backup_prefix="${K8SHA_ROLL_BACKUP_PREFIX:-}"
backup_max_age="${K8SHA_ROLL_BACKUP_MAX_AGE_MINUTES:-120}"
timeout="${K8SHA_ROLL_TIMEOUT_SECONDS:-1200}"
interval="${K8SHA_ROLL_INTERVAL_SECONDS:-10}"
preflight_timeout="${K8SHA_ROLL_PREFLIGHT_SECONDS:-300}"
boot_failure_grace="${K8SHA_ROLL_BOOT_FAILURE_GRACE_SECONDS:-300}"
whole_numbers "$member" "$members" "$masters" "$backup_max_age" "$timeout" "$preflight_timeout" "$boot_failure_grace"
[[ "$interval" =~ ^[1-9][0-9]*$ ]] || die "K8SHA_ROLL_INTERVAL_SECONDS must be a positive integer"
# wait_until's back-off becomes a fixed poll interval.
K8SHA_RETRY_BASE="$interval"
K8SHA_RETRY_CAP="$interval"
TAG_NODE_SPEC="k8sha.io/node-spec"
CLUSTER_AWS_REGION="$region"
CLUSTER_AWS_NODE_CLI="${K8SHA_ROLL_NODE_CLI:-/opt/k8sha/bin/k8sha-control-plane}"
CLUSTER_AWS_COMMENT="k8sha roll $cluster etcd node $member"
CLUSTER_AWS_ATTEMPTS="${K8SHA_ROLL_AWS_ATTEMPTS:-4}"
name="etcd node $member"
started="$(date +%s)"
ROLL_GATE_UNTOUCHED="The etcd nodes after this one and every master are untouched"
trap roll_gate_on_exit EXIT

# gate_helper : the master the checks run on: the masters hold the etcd client certificate and
# the operations CLI, and their health is what losing this member must not break.
gate_helper() { healthy_master "$master_asgs"; }

# gate_preflight HELPER : every check once; all must pass.
gate_preflight() {
  local rc=0
  run_on "$1" 120 preflight --masters "$masters" || rc=1
  targets_healthy "$target_group" "$masters" || rc=1
  asgs_idle "$etcd_asgs,$master_asgs" || rc=1
  backup_fresh "$backup_bucket" "$backup_prefix" "$backup_max_age" || rc=1
  return "$rc"
}

step current
gate_instance "$asg"
have_spec="$(tag_of "$instance" "$TAG_NODE_SPEC")"
if [[ "$have_spec" == "$spec" ]]; then
  boot="$(tag_of "$instance" "$CLUSTER_AWS_BOOT_STATUS_TAG")"
  [[ "$boot" != failed* ]] || progress "WARNING: the last boot attempt of $instance failed ($boot);" \
    "if it does not recover, fix the cause and terminate it (its ASG launches another)"
  progress "$instance already runs node spec $spec; skipped"
  exit 0
fi
progress "$instance runs node spec ${have_spec:-unknown}; the template has $spec"
((members > 1)) || progress "WARNING: a single etcd member: the API is down while it is replaced"

step preflight
validated "$preflight_timeout" || stop "the cluster did not pass the preflight twice within ${preflight_timeout}s"
step move-leader
if ((members > 1)); then
  helper="$(gate_helper)" || stop "no healthy master left to run the steps from"
  run_on "$helper" 120 move-leader --from "$address" || stop "etcd leadership could not be moved off $address"
fi
step replace
aws_ autoscaling terminate-instance-in-auto-scaling-group --instance-id "$instance" \
  --no-should-decrement-desired-capacity >/dev/null || stop "the ASG refused to replace $instance"
replaced_and_validated "$asg" "$instance" "$timeout" "$boot_failure_grace"
step finished
progress "rolled in $(($(date +%s) - started)) s"
