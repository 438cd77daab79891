# shellcheck shell=bash
# A dedicated etcd node of the external topology: the pinned etcd release, this member's
# certificates from the cluster's etcd CA, and its systemd unit. How the member enters the
# cluster is etcd-node-join.sh; the release download is etcd-release.sh. Sourced after
# common.sh, ssm.sh, etcd-member.sh and etcd-release.sh.
#
# Inputs (node.env): CLUSTER_NAME, SSM_PREFIX, ETCD_MEMBER, STABLE_IP, MEMBER_ADDRESSES,
#   ETCD_DATA_DIR, ETCD_CLIENT_PORT, ETCD_PEER_PORT, ETCD_METRICS_PORT, ETCD_HEARTBEAT_MS,
#   ETCD_ELECTION_MS, ETCD_QUOTA_BYTES.
# Environment (optional; tests point them at loopback and temp dirs):
#   K8SHA_ETCD_PKI_DIR     this member's certificates     (/etc/k8sha/etcd/pki)
#   K8SHA_ETCD_UNIT        the member's systemd unit      (/etc/systemd/system/k8sha-etcd.service)
#   ETCD_LOCAL_ENDPOINT    the member's own client URL    (https://127.0.0.1:$ETCD_CLIENT_PORT)
#   K8SHA_ETCD_CERT_DAYS   certificate lifetime in days   (365)

K8SHA_ETCD_PKI_DIR="${K8SHA_ETCD_PKI_DIR:-/etc/k8sha/etcd/pki}"
K8SHA_ETCD_UNIT="${K8SHA_ETCD_UNIT:-/etc/systemd/system/k8sha-etcd.service}"
# etcdctl on this node authenticates with the member's own client certificate.
ETCDCTL_CACERT="${ETCDCTL_CACERT:-$K8SHA_ETCD_PKI_DIR/ca.crt}"
ETCDCTL_CERT="${ETCDCTL_CERT:-$K8SHA_ETCD_PKI_DIR/client.crt}"
ETCDCTL_KEY="${ETCDCTL_KEY:-$K8SHA_ETCD_PKI_DIR/client.key}"

# etcd_member_name [INDEX] : the etcd member name of member INDEX (default: this node's).
etcd_member_name() { printf '%s-etcd-%s\n' "${CLUSTER_NAME:?}" "${1:-${ETCD_MEMBER:?}}"; }

# etcd_local_host : where this member's local clients (etcdctl, the metrics) reach it.
etcd_local_host() { url_host "${ETCD_LOCAL_ENDPOINT:-https://127.0.0.1:${ETCD_CLIENT_PORT:?}}"; }

# _etcd_issue NAME USAGES SANS CN : NAME.crt in K8SHA_ETCD_PKI_DIR, signed by the etcd CA there,
# with the extended key USAGES, subjectAltName SANS (empty: none) and common name CN, for
# NAME.key: the existing key when there is one (a renewal swaps only the certificate file, so
# etcd, which reads the pair on every handshake, never sees a new key with the old certificate),
# else a new ECDSA P-256 key.
_etcd_issue() {
  local dir="$K8SHA_ETCD_PKI_DIR" name="$1" usages="$2" sans="$3" cn="$4" ext
  if [[ ! -s "$dir/$name.key" ]]; then
    (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$name.key.tmp") || return 1
    mv -f "$dir/$name.key.tmp" "$dir/$name.key"
  fi
  ext="$(mktemp)"
  {
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n'
    printf 'extendedKeyUsage=%s\n' "$usages"
    if [[ -n "$sans" ]]; then printf 'subjectAltName=%s\n' "$sans"; fi
  } >"$ext"
  if ! openssl req -new -key "$dir/$name.key" -subj "/CN=$cn" -out "$dir/$name.csr" ||
    ! openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
      -set_serial "0x$(openssl rand -hex 16)" -days "${K8SHA_ETCD_CERT_DAYS:-365}" -sha256 \
      -extfile "$ext" -out "$dir/$name.crt.tmp" 2>/dev/null; then
    rm -f "$ext" "$dir/$name.crt.tmp" "$dir/$name.csr"
    return 1
  fi
  rm -f "$ext" "$dir/$name.csr"
  mv -f "$dir/$name.crt.tmp" "$dir/$name.crt"
}

# The common name of every member's peer certificate: the peer port admits only it
# (--peer-cert-allowed-cn), not any other certificate of the etcd CA (a client's).
ETCD_PEER_CN=k8sha-etcd-peer

# etcd_member_certs : the etcd CA from SSM, then this member's server and peer certificates (SANs:
# the stable address its URLs name, the primary address its peer connections come from, which
# etcd checks against the client certificate of a peer, the local address, the member name)
# and the client certificate etcdctl uses here. The CA key is deleted once they are issued, or
# failed to be.
etcd_member_certs() {
  local dir="$K8SHA_ETCD_PKI_DIR" sans
  mkdir -p "$dir"
  chmod 0700 "$dir"
  write_secret_file "$SSM_PREFIX/pki/etcd-ca.crt" "$dir/ca.crt" 0644 || die "cannot read the etcd CA from SSM"
  write_secret_file "$SSM_PREFIX/pki/etcd-ca.key" "$dir/ca.key" 0600 || die "cannot read the etcd CA key from SSM"
  sans="IP:$STABLE_IP,IP:${NODE_IP:?},IP:127.0.0.1,IP:$(etcd_local_host),DNS:$(etcd_member_name),DNS:localhost"
  local failed=""
  _etcd_issue server serverAuth,clientAuth "$sans" "$(etcd_member_name)" || failed=server
  [[ -n "$failed" ]] || _etcd_issue peer serverAuth,clientAuth "$sans" "$ETCD_PEER_CN" || failed=peer
  [[ -n "$failed" ]] || _etcd_issue client clientAuth "" "$(etcd_member_name)" || failed=client
  # Whatever happened, the CA key does not stay on the node.
  rm -f "$dir/ca.key"
  [[ -z "$failed" ]] || die "cannot issue the etcd $failed certificate"
  log "etcd certificates of $(etcd_member_name) in $dir (SANs $sans)"
}

# etcd_initial_cluster : name=peer-URL of every member in MEMBER_ADDRESSES order (member i is
# the i-th address): the bootstrap list of a new cluster.
etcd_initial_cluster() {
  local ip i=0
  local -a entries=()
  for ip in $MEMBER_ADDRESSES; do
    entries+=("$(etcd_member_name "$i")=https://$ip:$ETCD_PEER_PORT")
    i=$((i + 1))
  done
  (IFS=,; printf '%s\n' "${entries[*]}")
}

# etcd_node_unit STATE INITIAL_CLUSTER : write the member's unit (etcd ignores the --initial-*
# flags once its data dir holds a member, so a later boot may keep the file it finds). The
# timing and quota flags are the stacked topology's (cloud-init/kubeadm-config.ts).
etcd_node_unit() {
  local state="$1" initial="$2" pki="$K8SHA_ETCD_PKI_DIR" local_host clients tmp
  local_host="$(etcd_local_host)"
  clients="https://$STABLE_IP:$ETCD_CLIENT_PORT"
  [[ "$local_host" == "$STABLE_IP" ]] || clients="$clients,https://$local_host:$ETCD_CLIENT_PORT"
  tmp="$K8SHA_ETCD_UNIT.tmp"
  mkdir -p "$(dirname "$K8SHA_ETCD_UNIT")"
  cat >"$tmp" <<EOF
[Unit]
Description=etcd member $(etcd_member_name) (k8sha external etcd)
Wants=network-online.target
After=network-online.target
# Never on the root disk: without its volume mounted the member does not start.
RequiresMountsFor=$ETCD_MOUNT

[Service]
Type=notify
ExecStart=$K8SHA_ETCD_TOOLS_DIR/etcd --name=$(etcd_member_name) --data-dir=$ETCD_DATA_DIR --listen-peer-urls=https://$STABLE_IP:$ETCD_PEER_PORT --initial-advertise-peer-urls=https://$STABLE_IP:$ETCD_PEER_PORT --listen-client-urls=$clients --advertise-client-urls=https://$STABLE_IP:$ETCD_CLIENT_PORT --listen-metrics-urls=http://$local_host:$ETCD_METRICS_PORT --initial-cluster=$initial --initial-cluster-state=$state --initial-cluster-token=$CLUSTER_NAME --cert-file=$pki/server.crt --key-file=$pki/server.key --client-cert-auth=true --trusted-ca-file=$pki/ca.crt --peer-cert-file=$pki/peer.crt --peer-key-file=$pki/peer.key --peer-client-cert-auth=true --peer-trusted-ca-file=$pki/ca.crt --peer-cert-allowed-cn=$ETCD_PEER_CN --heartbeat-interval=$ETCD_HEARTBEAT_MS --election-timeout=$ETCD_ELECTION_MS --quota-backend-bytes=$ETCD_QUOTA_BYTES --pre-vote=true --snapshot-count=10000
Restart=on-failure
RestartSec=5
TimeoutStartSec=0
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
EOF
  mv -f "$tmp" "$K8SHA_ETCD_UNIT"
  log "wrote $K8SHA_ETCD_UNIT (initial-cluster-state $state)"
}

# etcd_node_start : enable and start the member without waiting (a new cluster's first member
# waits for its peers; the boot waits on health itself, bounded).
etcd_node_start() {
  systemctl daemon-reload
  systemctl enable --now --no-block "$(basename "$K8SHA_ETCD_UNIT")"
}

# etcd_local_healthy : this member answers `endpoint health` (it has a leader and quorum).
etcd_local_healthy() {
  etcdctl_at "https://$(etcd_local_host):$ETCD_CLIENT_PORT" endpoint health >/dev/null 2>&1
}
