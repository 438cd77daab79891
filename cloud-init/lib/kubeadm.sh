# shellcheck shell=bash
# The kubeadm runs of a node (init, join, rejoin phases). Their configs are the templates
# user-data ships (cloud-init/kubeadm-config.ts), filled by the entry scripts (template.sh).
# Sourced after common.sh.
#
# Inputs (node.env): API_ENDPOINT, API_PORT, CRI_SOCKET.
# Environment (optional): KUBEADM (kubeadm), K8SHA_CURL (curl), KUBERNETES_DIR (/etc/kubernetes),
#   K8SHA_API_WAIT_SECONDS (1200)

# etcd_node_certs : this master's etcd certificates from the etcd CA (SSM), from the local
# config, before any kubeadm run makes them from the cluster-wide config: the peer certificate
# with the primary address, the health-check client certificate the membership steps use.
# kubeadm init/join then keep them ("Using the existing ... certificate": phases/certs/certs.go
# writeCertificateFilesIfNotExist accepts a CA-signed certificate valid for every SAN it wants).
etcd_node_certs() {
  local cert
  # `|| return 1`: called inside `retry` (an `if` context, where errexit is off) after a reset.
  for cert in etcd-peer etcd-healthcheck-client; do
    retry "${KUBEADM:-kubeadm}" init phase certs "$cert" --config "${LOCAL_CONFIG:?}" || return 1
  done
}

# kubeadm_left_state : true when an earlier kubeadm run left files behind. kubeadm writes
# kubelet.conf in its kubeconfig phase, BEFORE wait-control-plane, so these files prove nothing
# about success: success is the step's own done marker (run_step), written only after kubeadm
# exited 0. Left-over state means that run failed or was cut off.
kubeadm_left_state() {
  local dir="${KUBERNETES_DIR:-/etc/kubernetes}"
  [[ -f "$dir/kubelet.conf" || -f "$dir/bootstrap-kubelet.conf" || -n "$(ls -A "$dir/manifests" 2>/dev/null)" ]]
}

# kubeadm_reset_for_retry : undo a failed kubeadm run so the next one starts clean. `kubeadm
# reset` also removes this node's etcd member (a member a failed join added), empties the etcd
# data dir and deletes /etc/kubernetes/pki, so the cluster CAs are fetched from SSM again
# (without them kubeadm would make NEW CAs; fetch_pki picks the topology's list). A master of the
# external topology has no etcd member certificates to make.
kubeadm_reset_for_retry() {
  log "an earlier kubeadm run left state behind without finishing: resetting this node"
  "${KUBEADM:-kubeadm}" reset --force --cri-socket "${CRI_SOCKET:?CRI_SOCKET must be set}" || true
  [[ "${K8SHA_ROLE:-}" == master ]] || return 0
  fetch_pki || return 1
  if [[ "${ETCD_TOPOLOGY:-stacked}" != external ]]; then etcd_node_certs || return 1; fi
}

# readyz_ok HOST : an API server at HOST:API_PORT answers /readyz with 200 (anonymous access is
# kubeadm's default).
readyz_ok() {
  local code
  code="$("${K8SHA_CURL:-curl}" -ks -o /dev/null -w '%{http_code}' --max-time 5 \
    "https://$1:${API_PORT:?API_PORT must be set}/readyz")" || true
  [[ "$code" == 200 ]]
}

# api_ready : the API load balancer is ready.
api_ready() { readyz_ok "${API_ENDPOINT:?}"; }

wait_for_api() {
  wait_until "${K8SHA_API_WAIT_SECONDS:-1200}" "API at ${API_ENDPOINT}:${API_PORT:?API_PORT must be set}/readyz" api_ready ||
    die "the API load balancer never became ready"
}

# kubeadm_join_attempt CONFIG : one join; a failed worker join is reset so the next try starts clean.
kubeadm_join_attempt() {
  if "${KUBEADM:-kubeadm}" join --config "$1"; then return 0; fi
  log "kubeadm join failed; resetting the node before the next attempt"
  "${KUBEADM:-kubeadm}" reset --force --cri-socket "${CRI_SOCKET:?CRI_SOCKET must be set}" || true
  return 1
}

# kubeadm_join_worker CONFIG : wait for the API, then join with a few bounded attempts.
kubeadm_join_worker() {
  if kubeadm_left_state; then kubeadm_reset_for_retry || return 1; fi
  wait_for_api
  K8SHA_RETRY_MAX="${K8SHA_JOIN_ATTEMPTS:-4}" retry kubeadm_join_attempt "$1"
}

# kubeadm_init_master CONFIG : the cluster's first control plane. Certificates come from SSM,
# so no --upload-certs: other masters fetch the CAs themselves.
# A retry after a failure resets first; the cluster is not initialised yet (master 0 writes the
# initialised marker only after this step), so nothing else depends on the half-made member.
kubeadm_init_master() {
  if kubeadm_left_state; then kubeadm_reset_for_retry || return 1; fi
  "${KUBEADM:-kubeadm}" init --config "$1" --skip-token-print
}

# kubeadm_join_master CONFIG : a new etcd member + control plane (empty etcd data dir: join mode
# only runs on a blank volume, so resetting a failed attempt, which removes the member it added,
# loses nothing; a learner left behind would block every later join, etcd admits one at a time).
kubeadm_join_master() {
  wait_for_api
  K8SHA_RETRY_MAX="${K8SHA_JOIN_ATTEMPTS:-3}" retry kubeadm_join_master_attempt "$1"
}

kubeadm_join_master_attempt() {
  if kubeadm_left_state; then kubeadm_reset_for_retry || return 1; fi
  "${KUBEADM:-kubeadm}" join --config "$1"
}

# kubeadm_rejoin LOCAL_CONFIG : a master whose etcd member survived on its volume comes back
# OFFLINE, as `kubeadm init` would build a control plane, but without touching etcd membership:
# certificates for this node from the CAs in SSM (existing files are kept), kubeconfigs (kubelet.conf
# with its own client certificate: no bootstrap token is written to this node), the etcd static pod
# of the existing member (etcd ignores --initial-cluster* when its data dir exists: op-guide
# configuration.md "ignored when restarting an existing member"), the control-plane static pods and the kubelet. No API and no quorum is
# needed to get this far; the local API answers once etcd has quorum again.
kubeadm_rejoin() {
  local phase
  # Not `kubeconfig all`: that also writes super-admin.conf (system:masters, the break-glass
  # credential only the first control plane gets; `kubeadm join` never writes it).
  for phase in "certs all" "kubeconfig admin" "kubeconfig kubelet" "kubeconfig controller-manager" \
    "kubeconfig scheduler" "etcd local" "control-plane all" "kubelet-start"; do
    # shellcheck disable=SC2086 # the phase is two words on purpose
    retry "${KUBEADM:-kubeadm}" init phase $phase --config "$1"
  done
}

# local_api_ready : this master's own API server (at its advertise address) is ready.
local_api_ready() { readyz_ok "${STABLE_IP:?}"; }

# kubelet_client_rotated : the kubelet has its first rotated client certificate.
kubelet_client_rotated() {
  [[ -s "${KUBELET_PKI_DIR:-/var/lib/kubelet/pki}/kubelet-client-current.pem" ]]
}

# kubeadm_rejoin_mark LOCAL_CONFIG : once the local API is ready:
# - the control-plane label and taint on this node's new Node object;
# - what `kubeadm init` does after its TLS bootstrap (phases/init/kubeletfinalize.go): once the
#   kubelet has rotated its client certificate, point kubelet.conf at kubelet-client-current.pem
#   instead of the embedded one-year certificate `kubeconfig kubelet` wrote, which would otherwise
#   lock the kubelet out at its first restart after a year;
# - what `kubelet-wait-bootstrap` does after a join: the CRI-socket annotation on the Node
#   (kubeadm < 1.32 reads it back in `upgrade node`), set directly: init's upload-config/kubelet
#   phase would also overwrite the cluster's kubelet-config ConfigMap.
kubeadm_rejoin_mark() {
  local kubectl=("${K8SHA_KUBECTL:-kubectl}" --kubeconfig "${KUBERNETES_DIR:-/etc/kubernetes}/admin.conf" --request-timeout=30s)
  wait_until "${K8SHA_API_WAIT_SECONDS:-1200}" "local API at ${STABLE_IP}:${API_PORT:?API_PORT must be set}/readyz" local_api_ready ||
    die "the local API server never became ready"
  retry "${KUBEADM:-kubeadm}" init phase mark-control-plane --config "$1"
  wait_until 600 "the kubelet's rotated client certificate" kubelet_client_rotated ||
    die "the kubelet never rotated its client certificate"
  retry "${KUBEADM:-kubeadm}" init phase kubelet-finalize enable-client-cert-rotation --config "$1"
  retry "${kubectl[@]}" annotate node "$NODE_NAME" --overwrite \
    "kubeadm.alpha.kubernetes.io/cri-socket=${CRI_SOCKET:?CRI_SOCKET must be set}"
}
