# shellcheck shell=bash
# Drains the workers their ASG is terminating (scale-in, instance refresh, rebalancing), run by
# k8sha-worker-drain.service on every master (worker-drain-timer.sh); only the leader (leader.sh) acts.
# Every worker ASG carries a lifecycle hook on EC2_INSTANCE_TERMINATING with default result
# CONTINUE (components/nodes/workerPool.ts): the instance waits in Terminating:Wait until this
# handler completes it, or at most the hook's heartbeat timeout after the last heartbeat.
# Per waiting instance: check it is a worker of this cluster (its own EC2 tags, not only its
# group's), find its Node by InternalIP, cordon, drain (bounded, heartbeats meanwhile),
# complete the action with CONTINUE, delete the Node. A drain that does not finish within the
# bound (a PodDisruptionBudget that never allows) is logged and the action completed anyway.
# Idempotent: a Node already gone is skipped, an action already completed or timed out is done.
# Sourced after common.sh, etcd-tools.sh, etcd-backup.sh, leader.sh (control_plane_leader) and stale-nodes.sh
# (node_kubectl, CONTROL_PLANE_LABEL). Entry point: `worker_drain_once`.
#
# Why the etcd leader rather than the cluster-wide etcd lock (etcd_lock_run): a run lasts as long
# as its drains (up to the bound, 15 min), and holding a lock that long would park the other
# masters' runs in lock waits every timer tick; the leader check is one status call, the same
# rule the backup uses, and needs no lease of its own. During a leader change two masters may
# act at once for a moment: harmless, because every step is idempotent (cordon and drain again,
# a second completion finds no active action and counts as done).
#
# Environment (the timer's env file sets these, from node.env; required unless a default is shown):
#   K8SHA_DRAIN_CLUSTER             this cluster's name (the k8sha.io/cluster tag value)
#   TAG_CLUSTER / TAG_ROLE          the tag keys (base/tags.ts)
#   WORKER_DRAIN_HOOK               the hook's name (base/workerDrain.ts)
#   WORKER_DRAIN_HEARTBEAT_SECONDS  the hook's heartbeat timeout; a heartbeat goes every quarter of it
#   WORKER_DRAIN_TIMEOUT_SECONDS    the bound of one instance's drain
#   K8SHA_ETCD_ENDPOINT             the local etcd member's client URL (leader check)
#   AWS_DEFAULT_REGION              region of the ASGs
# Optional: K8SHA_AWS (aws), K8SHA_KUBECTL / K8SHA_ADMIN_KUBECONFIG (stale-nodes.sh),
#   K8SHA_DRAIN_POLL_SECONDS        seconds between looks for newly waiting instances (15)
#   K8SHA_ETCD_MANIFEST             when set, etcdctl follows kubeadm's etcd image (etcd-tools.sh)

WAIT_STATE="Terminating:Wait"
# One Node per line: NAME <TAB> InternalIPs (comma-terminated).
WORKER_DRAIN_NODE_ROW='{.metadata.name}{"\t"}{range .status.addresses[?(@.type=="InternalIP")]}{.address}{","}{end}{"\n"}'

# worker_drain_aws ARGS... : one AWS CLI call (callers retry).
worker_drain_aws() { "${K8SHA_AWS:-aws}" "$@"; }

# worker_drain_waiting : "INSTANCE_ID GROUP" lines, this cluster's worker instances in
# Terminating:Wait. The tag filters run at AWS; a group that nevertheless is no worker group is
# skipped here too.
worker_drain_waiting() {
  local rows group role ids id
  rows="$(retry worker_drain_aws autoscaling describe-auto-scaling-groups --output text \
    --filters "Name=tag:$TAG_CLUSTER,Values=$K8SHA_DRAIN_CLUSTER" "Name=tag:$TAG_ROLE,Values=worker" \
    --query "AutoScalingGroups[].[AutoScalingGroupName, Tags[?Key=='$TAG_ROLE']|[0].Value, join(' ', Instances[?LifecycleState=='$WAIT_STATE'].InstanceId)]")" ||
    return 1
  while IFS=$'\t' read -r group role ids; do
    [[ -n "$group" ]] || continue
    if [[ "$role" != worker ]]; then
      log "WARNING: group $group came back for role worker but is tagged role=$role; skipping it"
      continue
    fi
    for id in $ids; do printf '%s %s\n' "$id" "$group"; done
  done <<<"$rows"
}

# worker_drain_lifecycle OPERATION ID GROUP [ARGS...] : complete-lifecycle-action or
# record-lifecycle-action-heartbeat for ID, bounded retries. Returns 3 when AWS has no active
# action for ID any more (completed by an earlier run, or timed out): retrying cannot help.
worker_drain_lifecycle() {
  local op="$1" id="$2" group="$3" attempt=1 err
  shift 3
  while true; do
    if err="$(worker_drain_aws autoscaling "$op" --auto-scaling-group-name "$group" \
      --lifecycle-hook-name "$WORKER_DRAIN_HOOK" --instance-id "$id" "$@" 2>&1 >/dev/null)"; then
      return 0
    fi
    if [[ "$err" == *"No active Lifecycle Action"* ]]; then return 3; fi
    if ((attempt >= ${K8SHA_RETRY_MAX:-8})); then
      log "giving up on $op for $id after $attempt attempts: $err"
      return 1
    fi
    log "$op for $id failed (attempt $attempt): $err; retrying"
    sleep "$(backoff_seconds "$attempt")"
    attempt=$((attempt + 1))
  done
}

# worker_drain_node_of IP : the name of the worker (not control-plane) Node whose InternalIP is
# IP; nothing when there is none. Fails when the API cannot be listed (one bounded call).
worker_drain_node_of() {
  local list name ips
  list="$(node_kubectl get nodes -l "!$CONTROL_PLANE_LABEL" \
    -o "jsonpath={range .items[*]}${WORKER_DRAIN_NODE_ROW}{end}")" || return 1
  while IFS=$'\t' read -r name ips; do
    if [[ -n "$name" && ",$ips" == *",$1,"* ]]; then
      printf '%s\n' "$name"
      return 0
    fi
  done <<<"$list"
}

# worker_drain_attempts IP DEADLINE NAME_FILE : find, cordon and drain IP's Node until it is
# drained or DEADLINE (epoch seconds) has passed; each try's drain gets what is left as its
# --timeout. The Node's name goes to NAME_FILE. 0: drained, or no Node to drain; 1: not drained.
worker_drain_attempts() {
  local ip="$1" deadline="$2" name_file="$3" attempt=1 node remaining
  while true; do
    remaining=$((deadline - $(date +%s)))
    if ((remaining <= 0)); then
      log "DRAIN FAILED: the Node of $ip was not drained within ${WORKER_DRAIN_TIMEOUT_SECONDS}s"
      return 1
    fi
    if node="$(worker_drain_node_of "$ip")"; then
      if [[ -z "$node" ]]; then
        log "no worker Node has InternalIP $ip (never joined, or already deleted); nothing to drain"
        return 0
      fi
      printf '%s\n' "$node" >"$name_file"
      log "cordoning and draining $node (attempt $attempt, at most ${remaining}s)"
      if node_kubectl cordon "$node" >&2 &&
        node_kubectl drain "$node" --ignore-daemonsets --delete-emptydir-data \
          --timeout="${remaining}s" >&2; then
        log "drained $node"
        return 0
      fi
      log "drain of $node failed (attempt $attempt)"
    else
      log "cannot list the Nodes (attempt $attempt)"
    fi
    remaining=$((deadline - $(date +%s)))
    local delay
    delay="$(backoff_seconds "$attempt")"
    if ((delay > remaining)); then delay=$((remaining > 0 ? remaining : 0)); fi
    sleep "$delay"
    attempt=$((attempt + 1))
  done
}

# worker_drain_with_heartbeats ID GROUP IP NAME_FILE : worker_drain_attempts in the background,
# a heartbeat every quarter of the hook's timeout meanwhile, so a drain may outlast the timeout.
worker_drain_with_heartbeats() {
  local id="$1" group="$2" ip="$3" name_file="$4" pid rc=0 every next beating=true
  local heartbeat="${WORKER_DRAIN_HEARTBEAT_SECONDS:?WORKER_DRAIN_HEARTBEAT_SECONDS must be set}"
  every=$((heartbeat / 4 > 0 ? heartbeat / 4 : 1))
  worker_drain_attempts "$ip" "$(($(date +%s) + WORKER_DRAIN_TIMEOUT_SECONDS))" "$name_file" &
  pid=$!
  next=$(($(date +%s) + every))
  while kill -0 "$pid" 2>/dev/null; do
    if [[ "$beating" == true ]] && (($(date +%s) >= next)); then
      local hb=0
      worker_drain_lifecycle record-lifecycle-action-heartbeat "$id" "$group" || hb=$?
      case "$hb" in
        0) log "heartbeat sent for $id" ;;
        3) log "no active lifecycle action for $id any more; no more heartbeats" && beating=false ;;
        *) log "heartbeat for $id failed; the drain goes on" ;;
      esac
      next=$(($(date +%s) + every))
    fi
    sleep 1
  done
  wait "$pid" || rc=$?
  return "$rc"
}

# worker_drain_instance ID GROUP : the whole treatment of one waiting instance. Returns 1 only
# when the action could not be completed (its hook then times out into CONTINUE).
worker_drain_instance() {
  local id="$1" group="$2" facts ip role owner rc=0 node="" name_file
  K8SHA_CURRENT_STEP="worker-drain $id"
  if ! facts="$(retry worker_drain_aws ec2 describe-instances --instance-ids "$id" --output text \
    --query "Reservations[].Instances[].[PrivateIpAddress, Tags[?Key=='$TAG_ROLE']|[0].Value, Tags[?Key=='$TAG_CLUSTER']|[0].Value]")"; then
    log "cannot describe $id; its hook times out into CONTINUE"
    return 1
  fi
  read -r ip role owner <<<"$facts"
  if [[ "$role" != worker || "$owner" != "$K8SHA_DRAIN_CLUSTER" || -z "$ip" ]]; then
    log "REFUSING $id of $group: tagged role=${role:-none} cluster=${owner:-none}, not a worker of $K8SHA_DRAIN_CLUSTER"
    return 0
  fi
  # The first heartbeat gives the drain a full timeout and tells whether the action still waits.
  worker_drain_lifecycle record-lifecycle-action-heartbeat "$id" "$group" || rc=$?
  if ((rc == 3)); then
    log "no active lifecycle action for $id (completed or timed out meanwhile); nothing to do"
    return 0
  fi
  ((rc == 0)) || log "cannot send a heartbeat for $id; draining anyway"
  log "$id ($ip) of $group is terminating: draining its Node"
  name_file="$(mktemp)"
  if ! worker_drain_with_heartbeats "$id" "$group" "$ip" "$name_file"; then
    log "completing $id although its Node is not drained: the bound is reached"
  fi
  node="$(cat "$name_file")"
  rm -f "$name_file"
  rc=0
  worker_drain_lifecycle complete-lifecycle-action "$id" "$group" --lifecycle-action-result CONTINUE || rc=$?
  case "$rc" in
    0) log "completed the lifecycle action of $id: CONTINUE" ;;
    3) log "the lifecycle action of $id was already completed or timed out" ;;
    *)
      log "could not complete the lifecycle action of $id; its hook times out into CONTINUE"
      return 1
      ;;
  esac
  # After the completion, not before: the kubelet of a still-running worker would re-register.
  if [[ -n "$node" ]]; then
    retry node_kubectl delete node "$node" --ignore-not-found >&2 || log "could not delete Node $node"
  fi
}

# worker_drain_leader : 0 when this master leads (leader.sh); logs why not otherwise.
worker_drain_leader() {
  local rc=0
  control_plane_leader || rc=$?
  case "$rc" in
    0) return 0 ;;
    1) log "this master is not the $(control_plane_leader_kind); the leader drains" ;;
    *) log "cannot tell whether this master is the $(control_plane_leader_kind); not draining" ;;
  esac
  return 1
}

# worker_drain_once : one scheduled run. Picks up waiting instances (again every poll, while
# drains run, so one arriving mid-run does not wait for the run to end) and handles each in the
# background; returns once none is running. Non-zero when a listing or a completion failed.
worker_drain_once() {
  export K8SHA_CURRENT_STEP=worker-drain
  local id group waiting pid failed=0 running first=true
  local -A started=()
  : "${K8SHA_DRAIN_CLUSTER:?K8SHA_DRAIN_CLUSTER must be set}" "${TAG_CLUSTER:?TAG_CLUSTER must be set}"
  : "${TAG_ROLE:?TAG_ROLE must be set}" "${WORKER_DRAIN_HOOK:?WORKER_DRAIN_HOOK must be set}"
  : "${WORKER_DRAIN_TIMEOUT_SECONDS:?WORKER_DRAIN_TIMEOUT_SECONDS must be set}"
  while true; do
    if ! worker_drain_leader; then
      if [[ "$first" == true ]]; then return 0; fi
      break
    fi
    if ! waiting="$(worker_drain_waiting)"; then
      log "cannot list this cluster's worker groups"
      failed=1
      break
    fi
    if [[ "$first" == true && -z "$waiting" ]]; then log "no worker is waiting to terminate"; fi
    first=false
    while read -r id group; do
      [[ -n "$id" && -z "${started[$id]:-}" ]] || continue
      worker_drain_instance "$id" "$group" &
      started[$id]=$!
    done <<<"$waiting"
    running=false
    for pid in "${started[@]}"; do
      if kill -0 "$pid" 2>/dev/null; then running=true; fi
    done
    [[ "$running" == true ]] || break
    sleep "${K8SHA_DRAIN_POLL_SECONDS:-15}"
  done
  for id in "${!started[@]}"; do
    wait "${started[$id]}" || failed=1
  done
  return "$failed"
}
