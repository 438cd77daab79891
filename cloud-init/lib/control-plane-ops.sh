# shellcheck shell=bash
# The control-plane operations the masters' rolling gate (scripts/roll-master.sh) runs ON a master
# through SSM Run Command: preflight, versions, move-leader, drain, uncordon, upgrade. Entry point:
# /opt/k8sha/bin/k8sha-control-plane (scripts/k8sha-control-plane.sh) -> cpo_main. This file: the
# output, the command line and the Kubernetes side; control-plane-etcd.sh the etcd side,
# control-plane-upgrade.sh the in-place upgrade. Sourced after common.sh, etcd-tools.sh,
# etcd-member.sh, stale-nodes.sh (node_kubectl: the admin kubeconfig, --request-timeout;
# CONTROL_PLANE_LABEL), prereqs.sh and kubeadm.sh.
#
# Output, which the gate reads: one line per check, `ok <check>: <detail>` or `FAIL <check>:
# <detail>`, then `result: pass` or `result: fail`; exit 0 on pass, 1 on fail, 2 on a usage error.
# Progress goes to stderr. Every etcdctl and kubectl call has a timeout and is retried
# K8SHA_CP_ATTEMPTS times (3); every wait is bounded.
#
# Environment: node.env (STABLE_IP, ETCD_CLIENT_PORT, API_PORT, KUBEADM_JOIN_TEMPLATE; with external
# etcd ETCD_TOPOLOGY, ETCD_ENDPOINTS and ETCD_MEMBER_COUNT: the etcd nodes), and the
# variables of the libraries above (ETCDCTL_*, K8SHA_KUBECTL, K8SHA_ADMIN_KUBECONFIG, ...).

# The static pods of a master; with external etcd it runs no etcd pod.
CPO_COMPONENTS="kube-apiserver kube-controller-manager kube-scheduler etcd"
if [[ "${ETCD_TOPOLOGY:-stacked}" == external ]]; then CPO_COMPONENTS="kube-apiserver kube-controller-manager kube-scheduler"; fi
# One Node per line: NAME <TAB> InternalIPs (comma-terminated) <TAB> Ready <TAB> kubelet version.
CPO_NODE_ROW='{.metadata.name}{"\t"}{range .status.addresses[?(@.type=="InternalIP")]}{.address}{","}{end}{"\t"}{range .status.conditions[?(@.type=="Ready")]}{.status}{end}{"\t"}{.status.nodeInfo.kubeletVersion}{"\n"}'
# One static pod per line: NODE <TAB> component label <TAB> Ready.
CPO_POD_ROW='{.spec.nodeName}{"\t"}{.metadata.labels.component}{"\t"}{range .status.conditions[?(@.type=="Ready")]}{.status}{end}{"\n"}'
CPO_FAILED=0

cpo_ok() { printf 'ok %s: %s\n' "$1" "$2"; }
cpo_fail() {
  printf 'FAIL %s: %s\n' "$1" "$2"
  CPO_FAILED=1
}
# cpo_step CHECK : what an unexpected failure from here on is reported as (_cpo_on_exit).
cpo_step() {
  CPO_CHECK="$1"
  log "$1"
}
# cpo_result : the last line; status 0 when no check failed.
cpo_result() {
  if ((CPO_FAILED)); then
    echo "result: fail"
    return 1
  fi
  echo "result: pass"
}

# cpo_nodes [SELECTOR] : CPO_NODE_ROW for every Node (matching SELECTOR, a -l value).
cpo_nodes() {
  local -a select=()
  if [[ -n "${1:-}" ]]; then select=(-l "$1"); fi
  retry node_kubectl get nodes "${select[@]}" -o "jsonpath={range .items[*]}${CPO_NODE_ROW}{end}"
}

# cpo_node_at IP : the CPO_NODE_ROW of the Node whose InternalIP is IP (nothing when none);
# fails when the Nodes cannot be listed.
cpo_node_at() {
  local list name ips rest
  list="$(cpo_nodes)" || return 1
  while IFS=$'\t' read -r name ips rest; do
    if [[ -n "$name" && ",$ips" == *",$1,"* ]]; then printf '%s\t%s\t%s\n' "$name" "$ips" "$rest"; fi
  done <<<"$list"
}

# cpo_preflight_kubernetes MASTERS : the control-plane Nodes and their static pods.
cpo_preflight_kubernetes() {
  local want="$1" list pods name ips ready kubelet count=0 c row missing
  if ! list="$(cpo_nodes "$CONTROL_PLANE_LABEL")"; then
    cpo_fail control-plane-nodes "cannot list the control-plane Nodes"
    return 0
  fi
  if ! pods="$(retry node_kubectl get pods -n kube-system -l tier=control-plane \
    -o "jsonpath={range .items[*]}${CPO_POD_ROW}{end}")"; then
    cpo_fail static-pods "cannot list the control-plane pods in kube-system"
    pods=""
  fi
  while IFS=$'\t' read -r name ips ready kubelet; do
    [[ -n "$name" ]] || continue
    count=$((count + 1))
    if [[ "$ready" == True ]]; then cpo_ok "node/$name" "Ready, ${ips%,}, kubelet $kubelet"; else
      cpo_fail "node/$name" "Ready=${ready:-unknown}, ${ips%,}, kubelet $kubelet"
    fi
    missing=""
    for c in $CPO_COMPONENTS; do
      row="$(awk -F'\t' -v n="$name" -v c="$c" '$1 == n && $2 == c { print $3; exit }' <<<"$pods")"
      if [[ "$row" != True ]]; then missing+=" $c(${row:-missing})"; fi
    done
    if [[ -z "$missing" ]]; then cpo_ok "static-pods/$name" "${CPO_COMPONENTS// /, } Ready"; else
      cpo_fail "static-pods/$name" "not Ready:$missing"
    fi
  done <<<"$list"
  if ((count == want)); then cpo_ok control-plane-nodes "$count"; else
    cpo_fail control-plane-nodes "$count control-plane Nodes, expected $want"
  fi
}

# cpo_versions : every control-plane Node's kubelet, the cluster's version, every member's etcd.
cpo_versions() {
  local list name ips _ready kubelet config members
  if list="$(cpo_nodes "$CONTROL_PLANE_LABEL")"; then
    while IFS=$'\t' read -r name ips _ready kubelet; do
      if [[ -n "$name" ]]; then printf 'node %s %s %s\n' "$name" "${ips%%,*}" "${kubelet:-unknown}"; fi
    done <<<"$list"
  else
    cpo_fail versions "cannot list the control-plane Nodes"
  fi
  if config="$(cpo_cluster_version)"; then echo "cluster $config"; else cpo_fail versions "no kubernetesVersion in kubeadm-config"; fi
  if members="$(cpo_member_versions)"; then printf 'etcd %s\n' "${members//$'\n'/$'\n'etcd }"; else
    cpo_fail versions "cannot list the etcd members"
  fi
}

# cpo_cluster_version : kubernetesVersion of the ClusterConfiguration in the kubeadm-config ConfigMap.
cpo_cluster_version() {
  local config version
  config="$(retry node_kubectl get configmap kubeadm-config -n kube-system \
    -o 'jsonpath={.data.ClusterConfiguration}')" || return 1
  version="$(sed -n 's/^kubernetesVersion:[[:space:]]*//p' <<<"$config" | tr -d "\"' ")"
  [[ -n "$version" ]] || return 1
  printf '%s\n' "$version"
}

# cpo_drain IP SECONDS : cordon and drain the Node at IP; none there counts as done.
cpo_drain() {
  local ip="$1" seconds="$2" row name deadline left attempt=1
  if ! row="$(cpo_node_at "$ip")"; then
    cpo_fail drain "cannot list the Nodes"
    return 0
  fi
  if [[ -z "$row" ]]; then
    cpo_ok drain "no Node at $ip (already gone)"
    return 0
  fi
  name="${row%%$'\t'*}"
  if retry node_kubectl cordon "$name" >&2; then cpo_ok cordon "$name ($ip)"; else
    cpo_fail cordon "kubectl cordon $name failed"
    return 0
  fi
  # The attempts share the one deadline: SECONDS bounds the whole drain.
  deadline=$(($(date +%s) + seconds))
  while left=$((deadline - $(date +%s))) && ((left > 0)); do
    if node_kubectl drain "$name" --ignore-daemonsets --delete-emptydir-data --timeout="${left}s" >&2; then
      cpo_ok drain "$name drained"
      return 0
    fi
    ((attempt < ${K8SHA_RETRY_MAX:-8})) || break
    sleep "$(backoff_seconds "$attempt")"
    attempt=$((attempt + 1))
  done
  cpo_fail drain "kubectl drain $name did not finish within ${seconds}s"
}

# cpo_uncordon IP : make the Node at IP schedulable again; none there counts as done.
cpo_uncordon() {
  local row name
  if ! row="$(cpo_node_at "$1")"; then
    cpo_fail uncordon "cannot list the Nodes"
  elif [[ -z "$row" ]]; then
    cpo_ok uncordon "no Node at $1 (already gone)"
  elif name="${row%%$'\t'*}" && retry node_kubectl uncordon "$name" >&2; then
    cpo_ok uncordon "$name ($1)"
  else
    cpo_fail uncordon "kubectl uncordon $name failed"
  fi
}

cpo_usage() {
  printf '%s\n' "usage: k8sha-control-plane preflight --masters N | versions | move-leader --from IP" \
    "       | validate --masters N [--pools NAME=MIN,... --pool-label KEY]" \
    "       | drain --address IP [--timeout SECONDS] | uncordon --address IP | upgrade --version X.Y.Z" >&2
  printf 'FAIL usage: %s\nresult: fail\n' "$1"
  CPO_DONE=1
  return 2
}

# An unexpected failure (errexit, die) still ends with a FAIL line and the result line.
_cpo_on_exit() {
  trap - EXIT
  if (($1 != 0)) && [[ -z "${CPO_DONE:-}" ]]; then
    cpo_fail "${CPO_CHECK:-k8sha-control-plane}" "stopped (exit $1); the log on stderr says where"
    echo "result: fail"
    exit 1
  fi
  exit "$1"
}

# cpo_main SUBCOMMAND [OPTIONS] : the CLI; prints the checks and the result line.
cpo_main() {
  local sub="${1:-}" masters="" ip="" timeout=300 version="" pools="" pool_label=""
  shift || true
  K8SHA_RETRY_MAX="${K8SHA_CP_ATTEMPTS:-3}"
  trap '_cpo_on_exit $?' EXIT
  while (($#)); do
    (($# >= 2)) || { cpo_usage "$1 needs a value"; return; }
    case "$1" in
      --masters) masters="$2" ;;
      --from | --address) ip="$2" ;;
      --timeout) timeout="$2" ;;
      --version) version="${2#v}" ;;
      --pools) pools="$2" ;;
      --pool-label) pool_label="$2" ;;
      *) cpo_usage "unknown option: $1"; return ;;
    esac
    shift 2
  done
  cpo_step "$sub"
  case "$sub" in
    preflight)
      [[ "$masters" =~ ^[1-9][0-9]*$ ]] || { cpo_usage "preflight needs --masters N"; return; }
      cpo_preflight_etcd "$(cpo_etcd_members "$masters")"
      cpo_preflight_kubernetes "$masters" ;;
    validate)
      [[ "$masters" =~ ^[1-9][0-9]*$ ]] || { cpo_usage "validate needs --masters N"; return; }
      [[ -z "$pools" || ("$pools" =~ ^[a-z0-9-]+=[0-9]+(,[a-z0-9-]+=[0-9]+)*$ && -n "$pool_label") ]] ||
        { cpo_usage "--pools needs NAME=MIN,... and --pool-label KEY"; return; }
      cpo_validate_api
      cpo_preflight_etcd "$(cpo_etcd_members "$masters")"
      cpo_preflight_kubernetes "$masters"
      if [[ -n "$pools" ]]; then cpo_validate_pools "$pool_label" "$pools"; fi ;;
    versions) cpo_versions ;;
    move-leader | drain | uncordon)
      ipv4_to_int "$ip" >/dev/null || { cpo_usage "$sub needs an IPv4 address (--from/--address)"; return; }
      [[ "$timeout" =~ ^[1-9][0-9]*$ ]] || { cpo_usage "--timeout needs whole seconds"; return; }
      if [[ "$sub" == move-leader ]]; then cpo_move_leader "$ip"; elif [[ "$sub" == drain ]]; then
        cpo_drain "$ip" "$timeout"
      else cpo_uncordon "$ip"; fi ;;
    upgrade)
      [[ "$version" =~ ^1\.[0-9]+\.[0-9]+$ ]] || { cpo_usage "upgrade needs --version 1.Y.Z"; return; }
      cpo_upgrade "$version" ;;
    *) cpo_usage "unknown subcommand: ${sub:-(none)}"; return ;;
  esac
  CPO_DONE=1
  cpo_result
}
