# shellcheck shell=bash
# Node-specific kubeadm configuration and the kubeadm runs (init, join, rejoin phases).
# The cluster-wide ClusterConfiguration comes from user-data (KUBEADM_CLUSTER_CONFIG).
# Sourced after common.sh.
#
# Inputs (node.env): API_ENDPOINT, API_PORT, KUBEADM_CLUSTER_CONFIG, NODE_LABELS (k=v,...),
#   NODE_TAINTS (key=value:Effect,...).
# Environment (optional): KUBEADM (kubeadm), K8SHA_CURL (curl), KUBERNETES_DIR (/etc/kubernetes),
#   CRI_SOCKET (unix:///run/containerd/containerd.sock), K8SHA_API_WAIT_SECONDS (1200)

KUBEADM_API="kubeadm.k8s.io/v1beta4"

# yq_str VALUE : a YAML double-quoted scalar.
yq_str() {
  local v="${1//\\/\\\\}"
  printf '"%s"' "${v//\"/\\\"}"
}

# node_registration_yaml NAME IP LABELS TAINTS CONTROL_PLANE : the nodeRegistration block.
# Empty TAINTS on a worker means "no taints" ([]); on a control plane kubeadm's default taint.
node_registration_yaml() {
  local name="$1" ip="$2" labels="$3" taints="$4" control_plane="$5" t key rest
  printf 'nodeRegistration:\n  name: %s\n  criSocket: %s\n' "$(yq_str "$name")" \
    "$(yq_str "${CRI_SOCKET:-unix:///run/containerd/containerd.sock}")"
  printf '  kubeletExtraArgs:\n    - name: node-ip\n      value: %s\n' "$(yq_str "$ip")"
  if [[ -n "$labels" ]]; then
    printf '    - name: node-labels\n      value: %s\n' "$(yq_str "$labels")"
  fi
  if [[ -n "$taints" ]]; then
    printf '  taints:\n'
    local -a list
    IFS=, read -r -a list <<<"$taints"
    for t in "${list[@]}"; do
      [[ "$t" =~ ^([^=:]+)(=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$ ]] || die "bad taint: $t"
      key="${BASH_REMATCH[1]}"
      rest="${BASH_REMATCH[3]}"
      printf '    - key: %s\n      value: %s\n      effect: %s\n' "$(yq_str "$key")" "$(yq_str "$rest")" \
        "${BASH_REMATCH[4]}"
    done
  elif [[ "$control_plane" != true ]]; then
    printf '  taints: []\n'
  fi
}

# write_init_config OUT NODE_NAME NODE_IP [TOKEN] : InitConfiguration + the ClusterConfiguration.
# The token is created with ttl 0s (never expires): ASG workers join months later. Without a
# token the file only drives offline `kubeadm init phase` calls (certs, local etcd manifest).
write_init_config() {
  local out="$1" name="$2" ip="$3" token="${4:-}"
  mkdir -p "$(dirname "$out")"
  (
    umask 077
    {
      printf 'apiVersion: %s\nkind: InitConfiguration\n' "$KUBEADM_API"
      if [[ -n "$token" ]]; then
        printf 'bootstrapTokens:\n  - token: %s\n    ttl: "0s"\n' "$(yq_str "$token")"
        printf '    usages: [signing, authentication]\n'
        printf '    groups: ["system:bootstrappers:kubeadm:default-node-token"]\n'
      fi
      printf 'localAPIEndpoint:\n  advertiseAddress: %s\n  bindPort: %s\n' "$(yq_str "$ip")" "${API_PORT:-6443}"
      node_registration_yaml "$name" "$ip" "" "" true
      printf -- '---\n'
      cat "${KUBEADM_CLUSTER_CONFIG:?}"
    } >"$out"
  )
}

# write_join_config OUT NODE_NAME NODE_IP TOKEN CA_HASH CONTROL_PLANE(true|false) : JoinConfiguration.
# Discovery goes through the API load balancer; workers get NODE_LABELS/NODE_TAINTS.
write_join_config() {
  local out="$1" name="$2" ip="$3" token="$4" hash="$5" control_plane="$6"
  mkdir -p "$(dirname "$out")"
  (
    umask 077
    {
      printf 'apiVersion: %s\nkind: JoinConfiguration\n' "$KUBEADM_API"
      printf 'discovery:\n  bootstrapToken:\n    apiServerEndpoint: %s\n' \
        "$(yq_str "${API_ENDPOINT:?}:${API_PORT:-6443}")"
      printf '    token: %s\n    caCertHashes:\n      - %s\n' "$(yq_str "$token")" "$(yq_str "$hash")"
      if [[ "$control_plane" == true ]]; then
        node_registration_yaml "$name" "$ip" "" "" true
        printf 'controlPlane:\n  localAPIEndpoint:\n    advertiseAddress: %s\n    bindPort: %s\n' \
          "$(yq_str "$ip")" "${API_PORT:-6443}"
      else
        node_registration_yaml "$name" "$ip" "${NODE_LABELS:-}" "${NODE_TAINTS:-}" false
      fi
    } >"$out"
  )
}

# kubeadm_already_joined : kubelet.conf exists once init/join finished (never re-run kubeadm).
kubeadm_already_joined() {
  [[ -f "${KUBERNETES_DIR:-/etc/kubernetes}/kubelet.conf" ]]
}

# api_ready : the API load balancer answers /readyz with 200 (anonymous access is kubeadm's default).
api_ready() {
  local code
  code="$("${K8SHA_CURL:-curl}" -ks -o /dev/null -w '%{http_code}' --max-time 5 \
    "https://${API_ENDPOINT:?}:${API_PORT:-6443}/readyz")" || true
  [[ "$code" == 200 ]]
}

wait_for_api() {
  wait_until "${K8SHA_API_WAIT_SECONDS:-1200}" "API at ${API_ENDPOINT}:${API_PORT:-6443}/readyz" api_ready ||
    die "the API load balancer never became ready"
}

# kubeadm_join_attempt CONFIG : one join; a failed worker join is reset so the next try starts clean.
kubeadm_join_attempt() {
  if "${KUBEADM:-kubeadm}" join --config "$1"; then return 0; fi
  log "kubeadm join failed; resetting the node before the next attempt"
  "${KUBEADM:-kubeadm}" reset --force --cri-socket "${CRI_SOCKET:-unix:///run/containerd/containerd.sock}" || true
  return 1
}

# kubeadm_join_worker CONFIG : wait for the API, then join with a few bounded attempts.
kubeadm_join_worker() {
  if kubeadm_already_joined; then log "already joined; not running kubeadm"; return 0; fi
  wait_for_api
  K8SHA_RETRY_MAX="${K8SHA_JOIN_ATTEMPTS:-4}" retry kubeadm_join_attempt "$1"
}

# kubeadm_init_master CONFIG : the cluster's first control plane. Certificates come from SSM,
# so no --upload-certs: other masters fetch the CAs themselves.
kubeadm_init_master() {
  if kubeadm_already_joined; then log "already initialised; not running kubeadm"; return 0; fi
  "${KUBEADM:-kubeadm}" init --config "$1" --skip-token-print
}

# kubeadm_join_master CONFIG : a new etcd member + control plane (empty etcd data dir).
# Not reset-and-retried: a reset removes the etcd member and that must stay an operator decision.
kubeadm_join_master() {
  if kubeadm_already_joined; then log "already joined; not running kubeadm"; return 0; fi
  wait_for_api
  "${KUBEADM:-kubeadm}" join --config "$1"
}

# kubeadm_rejoin_prepare JOIN_CONFIG : a replacement master whose etcd data survived on the volume.
# Certificates, kubeconfigs and static pods for the NEW IP, and the kubelet; no etcd manifest yet.
kubeadm_rejoin_prepare() {
  local phase
  wait_for_api
  for phase in certs kubeconfig control-plane; do
    retry "${KUBEADM:-kubeadm}" join phase control-plane-prepare "$phase" --config "$1"
  done
  "${KUBEADM:-kubeadm}" join phase kubelet-start --config "$1"
}

# kubeadm_rejoin_etcd INIT_CONFIG : the local etcd static pod. With a data dir present etcd
# ignores --initial-cluster*, so kubeadm's single-member manifest restarts the existing member.
kubeadm_rejoin_etcd() {
  "${KUBEADM:-kubeadm}" init phase etcd local --config "$1"
}

# kubeadm_rejoin_finish JOIN_CONFIG : control-plane label and taint on the new Node object.
kubeadm_rejoin_finish() {
  retry "${KUBEADM:-kubeadm}" join phase control-plane-join mark-control-plane --config "$1"
}
