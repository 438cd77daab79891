# shellcheck shell=bash
# Node objects left behind by a replaced master. The replacement has a new node name (EC2
# private DNS). Without the AWS cloud-controller-manager (addons.cloudControllerManager off)
# nothing else deletes the old Node, so it would stay forever. With it, its node lifecycle
# controller deletes a NotReady Node once EC2 reports the instance gone
# (k8s.io/cloud-provider controllers/nodelifecycle), which needs a running CCM, i.e. a healthy
# control plane; this step still adds the immediate removal of the predecessor at MY stable
# address, before the new master takes its place in the NLB and the roll gates count Nodes.
# Same rule as etcd-member.sh: one master per zone, so a control-plane Node whose InternalIP is in
# MY subnet but is not me is this zone's lost predecessor. One at MY stable address is deleted
# even while it still looks Ready (the node lifecycle controller marks a dead kubelet's Node
# NotReady only after its grace period): this instance holds that address, which EC2 gives to
# one interface only, so its owner is gone. Any other Ready one is never deleted (two live
# masters in one zone is for an operator to resolve).
# Sourced after common.sh and etcd-member.sh (ipv4_in_cidr).
#
# Environment (optional; defaults suit a kubeadm master, tests point them at fakes):
#   K8SHA_KUBECTL           kubectl binary                     (kubectl)
#   K8SHA_ADMIN_KUBECONFIG  kubeconfig for kubectl             (/etc/kubernetes/admin.conf)

CONTROL_PLANE_LABEL="node-role.kubernetes.io/control-plane"
# One Node per line: NAME <TAB> InternalIPs (comma-terminated) <TAB> Ready status (may be empty).
# Tests render this row template with the real kubectl, so keep it a plain per-item template.
STALE_NODE_ROW_JSONPATH='{.metadata.name}{"\t"}{range .status.addresses[?(@.type=="InternalIP")]}{.address}{","}{end}{"\t"}{range .status.conditions[?(@.type=="Ready")]}{.status}{end}{"\n"}'

# node_kubectl ARGS... : one bounded kubectl call against the admin kubeconfig (callers retry).
node_kubectl() {
  "${K8SHA_KUBECTL:-kubectl}" --kubeconfig "${K8SHA_ADMIN_KUBECONFIG:-/etc/kubernetes/admin.conf}" \
    --request-timeout=30s "$@"
}

# _ips_in_cidr IPS CIDR : true when any of the comma-separated IPS lies in CIDR.
_ips_in_cidr() {
  local ip
  for ip in ${1//,/ }; do
    if ipv4_in_cidr "$ip" "$2"; then return 0; fi
  done
  return 1
}

# remove_stale_control_plane_nodes MY_SUBNET_CIDR MY_NODE_NAME [MY_STABLE_IP] : delete the
# control-plane Nodes in MY subnet that are not MY_NODE_NAME and either not Ready or at
# MY_STABLE_IP. Idempotent: a Node already gone is not an error. Any other Ready one is logged
# loudly and kept; the boot goes on.
remove_stale_control_plane_nodes() {
  local cidr="$1" me="$2" stable="${3:-}" list name ips ready
  local -a stale=()
  list="$(retry node_kubectl get nodes -l "$CONTROL_PLANE_LABEL" \
    -o "jsonpath={range .items[*]}${STALE_NODE_ROW_JSONPATH}{end}")" ||
    die "cannot list the control-plane nodes"
  while IFS=$'\t' read -r name ips ready; do
    [[ -n "$name" && "$name" != "$me" ]] || continue
    _ips_in_cidr "$ips" "$cidr" || continue
    if [[ -n "$stable" && ",$ips" == *",$stable,"* ]]; then
      log "node $name (${ips%,}) had my stable address $stable: this zone's lost predecessor"
      stale+=("$name")
      continue
    fi
    if [[ "$ready" == True ]]; then
      log "WARNING: control-plane node $name (${ips%,}) is in my subnet $cidr and still READY;" \
        "two masters in one zone must be resolved by an operator; not deleting it"
      continue
    fi
    log "node $name (${ips%,}, Ready=${ready:-none}) is this zone's lost predecessor"
    stale+=("$name")
  done <<<"$list"
  for name in "${stale[@]}"; do
    log "deleting stale node $name"
    retry node_kubectl delete node "$name" --ignore-not-found || die "could not delete node $name"
  done
  if ((${#stale[@]} == 0)); then log "no stale control-plane node in $cidr"; fi
}
