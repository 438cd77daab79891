# shellcheck shell=bash
# The first boot of a master in the external etcd topology (ETCD_TOPOLOGY=external), called by
# master-boot.sh in place of its stacked flow. Such a master holds no etcd data: the cluster's
# state lives on the etcd nodes (etcd-boot.sh), so nothing on a master must survive its
# replacement and a master's boot never touches etcd membership. Exactly one of
#   init     master 0, and the cluster was never initialised: `kubeadm init` against the etcd
#            nodes (ClusterConfiguration etcd.external), initialised marker, CNI, add-ons
#   offline  every other case, first boot of masters 1.. as much as any replacement: the
#            certificates, kubeconfigs, static pods and kubelet from the cluster PKI in SSM
#            (`kubeadm init phase`s, as kubeadm_rejoin), then the control-plane label and taint
#            once the local API answers. No bootstrap token, no discovery and no join lock: it
#            needs neither another master nor the load balancer, only etcd's quorum, so it also
#            heals a control plane that lost every master at once.
# A master keeps its stable address (advertise address, node IP): the address moves from a
# predecessor still running, and its predecessor's Node is found by it and deleted.
# Uses master-boot.sh's write_init, mark_initialised, apply_addons_after_cni and run_step
# markers; every step is skipped when a reboot re-runs the boot. See docs/etcd-nodes.md.
#
# Inputs (node.env): MASTER_INDEX, KUBERNETES_VERSION, KUBEADM_LOCAL_TEMPLATE, SUBNET_CIDR (IMDS),
# ADDONS_PARAMETER, CLUSTER_NAME, AVAILABILITY_ZONE, ETCD_ENDPOINTS, ETCD_VERSION,
# ETCD_RELEASE_SHA256; optional BOOT_INIT_WAIT_SECONDS (1800), K8SHA_ETCD_WAIT_SECONDS (1800).

# stateless_offline_phases LOCAL_CONFIG : kubeadm_rejoin's offline phases (kubeadm.sh says why
# each) without `etcd local`: there is no local member (kubeadm would skip it too, "External etcd
# mode. Skipping the creation of a manifest for local etcd", cmd/kubeadm/app/cmd/phases/init/etcd.go).
stateless_offline_phases() {
  local phase
  for phase in "certs all" "kubeconfig admin" "kubeconfig kubelet" "kubeconfig controller-manager" \
    "kubeconfig scheduler" "control-plane all" "kubelet-start"; do
    # shellcheck disable=SC2086 # the phase is two words on purpose
    retry "${KUBEADM:-kubeadm}" init phase $phase --config "$1"
  done
}

# stateless_wait_for_etcd : the etcd nodes answer, through the client pair the API server uses.
# Bounded: the masters boot with the etcd nodes, whose first members wait for each other, and
# kubeadm's own wait for the API server is shorter than that.
stateless_wait_for_etcd() {
  local endpoint
  local -a endpoints
  IFS=, read -ra endpoints <<<"${ETCD_ENDPOINTS:?ETCD_ENDPOINTS must be set}"
  endpoint="$(wait_until "${K8SHA_ETCD_WAIT_SECONDS:-1800}" "the etcd nodes ($ETCD_ENDPOINTS)" \
    _etcd_first_healthy "${endpoints[@]}")" || die "no etcd node answered at $ETCD_ENDPOINTS"
  log "etcd answers at ${endpoint:-$ETCD_ENDPOINTS}"
}

# stateless_decide_boot_mode : print init | offline (logs to stderr). A non-zero master waits for
# master 0's init, which writes the cluster-wide objects (kubeadm-config, RBAC, kube-proxy,
# CoreDNS) the offline phases leave to it.
stateless_decide_boot_mode() {
  init_or_mode offline "the cluster exists and its state is on the etcd nodes: offline"
}

# The offline phases' config: with external etcd it names no etcd peer address, so NODE_IP is
# offered, not required (template.sh refuses a value its template lacks).
stateless_write_local() {
  fill_template "$KUBEADM_LOCAL_TEMPLATE" "$LOCAL_CONFIG" NODE_NAME="$NODE_NAME" NODE_IP?="$NODE_IP" \
    PROVIDER_ID?="$PROVIDER_ID"
}

stateless_master_boot() {
  local mode
  run_step prereqs prepare_node "$KUBERNETES_VERSION"
  step identity
  load_node_identity
  # The leader-only timers find this master in kube-controller-manager's Lease by it (leader.sh).
  export K8SHA_NODE_NAME="$NODE_NAME"
  step stable-address
  ensure_stable_address
  run_step pki fetch_pki
  run_step local-config stateless_write_local
  # etcdctl for the operations that reach the etcd nodes (rolling preflight, certificate lock).
  run_step etcd-client etcd_release_install "$ETCD_VERSION" "$ETCD_RELEASE_SHA256"
  step etcd-nodes
  stateless_wait_for_etcd
  step boot-mode
  mode="$(persisted_boot_mode stateless_decide_boot_mode)"
  log "boot mode: $mode"
  case "$mode" in
    init)
      run_step init-config write_init
      run_step kubeadm-init kubeadm_init_master "$INIT_CONFIG"
      run_step initialised-marker mark_initialised
      run_step cni install_cni
      run_step addons apply_addons_after_cni
      ;;
    offline)
      run_step kubeadm-offline stateless_offline_phases "$LOCAL_CONFIG"
      run_step mark-control-plane kubeadm_rejoin_mark "$LOCAL_CONFIG"
      run_step stale-nodes remove_stale_control_plane_nodes "$SUBNET_CIDR" "$NODE_NAME" "$STABLE_IP"
      ;;
    *) die "unknown boot mode '$mode'" ;;
  esac
  # Rewritten on every boot. No etcd backup timer: the etcd nodes' leader backs up.
  step cert-renewal-timer
  install_cert_renewal_timer
  step worker-drain-timer
  install_worker_drain_timer "$CLUSTER_NAME"
  step addons-timer
  install_addons_timer "$ADDONS_PARAMETER"
  step node-health-timer
  install_health_timer "$CLUSTER_NAME" "$AVAILABILITY_ZONE"
  report_success
}
