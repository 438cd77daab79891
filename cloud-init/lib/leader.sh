# shellcheck shell=bash
# Which master acts for the leader-only work: the add-on applier, the worker drain and the init
# master's first add-on apply. One master at a time, without a lock of our own:
#   stacked etcd   the master whose etcd member leads (etcd_is_leader: one status call to the
#                  local member; etcdctl follows kubeadm's etcd image when K8SHA_ETCD_MANIFEST is set)
#   external etcd  (ETCD_TOPOLOGY=external) a master holds no etcd member, so the holder of
#                  kube-controller-manager's Lease (kube-system/kube-controller-manager) acts. The
#                  controller manager names itself "<hostname>_<uuid>" (os.Hostname() plus a
#                  uniquifier, cmd/kube-controller-manager/app/controllermanager.go), and a
#                  master's hostname is its EC2 local hostname's first label.
# During a leader change two masters may act at once for a moment: every caller's steps are
# idempotent. Sourced after common.sh, etcd-tools.sh and etcd-backup.sh.
#
# Environment (the timers' env files carry them, leader_timer_env_lines):
#   ETCD_TOPOLOGY           stacked | external                          (stacked)
#   K8SHA_ETCD_ENDPOINT     stacked: the local member's client URL
#   K8SHA_NODE_NAME         external: this master's Node name (its EC2 local hostname)
#   K8SHA_ADMIN_KUBECONFIG  external: the kubeconfig the Lease is read with (/etc/kubernetes/admin.conf)
#   K8SHA_KUBECTL           kubectl binary                              (kubectl)

# control_plane_lease_holder : print the host part of kube-controller-manager's Lease holder.
control_plane_lease_holder() {
  local holder
  holder="$("${K8SHA_KUBECTL:-kubectl}" --kubeconfig "${K8SHA_ADMIN_KUBECONFIG:-/etc/kubernetes/admin.conf}" \
    --request-timeout=30s -n kube-system get lease kube-controller-manager \
    -o 'jsonpath={.spec.holderIdentity}')" || return 1
  [[ -n "$holder" ]] || return 1
  printf '%s\n' "${holder%%_*}"
}

# control_plane_leader : 0 when this master acts, 1 when another does, 2 when it cannot tell
# (logged; the caller does nothing this time and the next tick asks again).
control_plane_leader() {
  local rc=0 holder node
  if [[ "${ETCD_TOPOLOGY:-stacked}" != external ]]; then
    : "${K8SHA_ETCD_ENDPOINT:?K8SHA_ETCD_ENDPOINT must be set}"
    if [[ -n "${K8SHA_ETCD_MANIFEST:-}" ]]; then etcd_tools_from_manifest || return 2; fi
    etcd_is_leader "$K8SHA_ETCD_ENDPOINT" || rc=$?
    return "$rc"
  fi
  node="${K8SHA_NODE_NAME:?K8SHA_NODE_NAME must be set}"
  if ! holder="$(retry control_plane_lease_holder)"; then
    log "cannot read the holder of the kube-controller-manager Lease"
    return 2
  fi
  [[ "$holder" == "$node" || "$holder" == "${node%%.*}" ]]
}

# control_plane_leader_kind : what control_plane_leader asks about, for log lines.
control_plane_leader_kind() {
  if [[ "${ETCD_TOPOLOGY:-stacked}" == external ]]; then
    printf 'kube-controller-manager leader\n'
  else
    printf 'etcd leader\n'
  fi
}
