# shellcheck shell=bash
# Pod network add-on, installed once by the init master right after `kubeadm init`.
# Sourced after common.sh (uses log, die, retry). Entry scripts call `install_cni`.
#
# Inputs come from the node env file (written by cloud-init, never secret):
#   CNI_PROVIDER   calico | cilium | flannel
#   CNI_VERSION    pinned add-on version without "v", e.g. 3.30.3
#   POD_CIDR       kubeadm networking.podSubnet, e.g. 10.244.0.0/16
#   CALICO_INSTALLATION  calico only: the operator's Installation + APIServer with the pod CIDR,
#                  rendered by cloud-init/network-config.ts into user-data
#
# Environment (optional; defaults suit a real node, tests point them at fakes and temp dirs):
#   K8SHA_NODE_ENV          node env file                     (/etc/k8sha/node.env)
#   K8SHA_KUBECTL           kubectl binary                     (kubectl)
#   K8SHA_CURL              curl binary                        (curl)
#   K8SHA_ADMIN_KUBECONFIG  kubeconfig for kubectl             (/etc/kubernetes/admin.conf)
#   K8SHA_CNI_WORK_DIR      downloaded/generated manifests     (/var/lib/k8sha/cni)
#   K8SHA_CNI_BIN_DIR       where the cilium CLI is unpacked   (/usr/local/bin)
#   K8SHA_CILIUM_CLI_VERSION cilium CLI release; v0.18.x is the line whose default is Cilium 1.18
#   K8SHA_ARCH              amd64 | arm64                      (from uname -m)

K8SHA_CILIUM_CLI_VERSION="${K8SHA_CILIUM_CLI_VERSION:-v0.18.7}"

# cni_kubectl ARGS... : kubectl against the admin kubeconfig (no retry; callers wrap in retry).
# Every call is bounded: a hung API connection must fail the attempt so retry can go on.
cni_kubectl() {
  "${K8SHA_KUBECTL:-kubectl}" --kubeconfig "${K8SHA_ADMIN_KUBECONFIG:-/etc/kubernetes/admin.conf}" \
    --request-timeout=60s "$@"
}

# cni_fetch URL DEST : download with bounded retries; --fail so an HTTP 404 is an error, not a file.
cni_fetch() {
  local url="$1" dest="$2"
  log "downloading $url"
  retry "${K8SHA_CURL:-curl}" --fail --silent --show-error --location --max-time 120 -o "$dest" "$url"
}

# cni_apply FILE : server-side apply is idempotent and has no annotation size limit (Calico's CRDs
# exceed the 256 KiB last-applied annotation that client-side apply writes).
cni_apply() {
  log "applying $1"
  retry cni_kubectl apply --server-side --force-conflicts -f "$1"
}

install_calico() {
  local base="https://raw.githubusercontent.com/projectcalico/calico/v${CNI_VERSION}/manifests"
  local dir="$1"
  cni_fetch "$base/operator-crds.yaml" "$dir/operator-crds.yaml"
  cni_fetch "$base/tigera-operator.yaml" "$dir/tigera-operator.yaml"
  cni_apply "$dir/operator-crds.yaml"
  cni_apply "$dir/tigera-operator.yaml"
  # The Installation kind exists only once its CRD is established.
  retry cni_kubectl wait --for=condition=established --timeout=60s crd/installations.operator.tigera.io
  cni_apply "$CALICO_INSTALLATION"
}

install_flannel() {
  local dir="$1" url
  url="https://github.com/flannel-io/flannel/releases/download/v${CNI_VERSION}/kube-flannel.yml"
  cni_fetch "$url" "$dir/kube-flannel.upstream.yml"
  # The upstream manifest hard-codes kubeadm's example CIDR; it must equal podSubnet.
  grep -q '"Network": "10.244.0.0/16"' "$dir/kube-flannel.upstream.yml" ||
    die "kube-flannel.yml v${CNI_VERSION} has no \"Network\": \"10.244.0.0/16\" line to replace"
  sed "s#\"Network\": \"10.244.0.0/16\"#\"Network\": \"${POD_CIDR}\"#" \
    "$dir/kube-flannel.upstream.yml" >"$dir/kube-flannel.yml"
  cni_apply "$dir/kube-flannel.yml"
}

# Cilium ships no plain manifest; the cilium CLI (a checksummed release binary) renders the official
# Helm chart of CNI_VERSION itself, so the node needs no helm.
install_cilium() {
  local dir="$1" arch="${K8SHA_ARCH:-}" tarball base bin_dir="${K8SHA_CNI_BIN_DIR:-/usr/local/bin}"
  if [[ -z "$arch" ]]; then
    case "$(uname -m)" in
      aarch64 | arm64) arch=arm64 ;;
      *) arch=amd64 ;;
    esac
  fi
  tarball="cilium-linux-${arch}.tar.gz"
  base="https://github.com/cilium/cilium-cli/releases/download/${K8SHA_CILIUM_CLI_VERSION}"
  cni_fetch "$base/$tarball" "$dir/$tarball"
  cni_fetch "$base/$tarball.sha256sum" "$dir/$tarball.sha256sum"
  (cd "$dir" && sha256sum --check --status "$tarball.sha256sum") || die "checksum mismatch for $tarball"
  mkdir -p "$bin_dir"
  tar -xzf "$dir/$tarball" -C "$bin_dir" cilium
  # cluster-pool IPAM from POD_CIDR: Cilium's default pool (10.0.0.0/8) would overlap the VPC.
  retry env KUBECONFIG="${K8SHA_ADMIN_KUBECONFIG:-/etc/kubernetes/admin.conf}" "$bin_dir/cilium" install \
    --version "$CNI_VERSION" \
    --set ipam.mode=cluster-pool \
    --set "ipam.operator.clusterPoolIPv4PodCIDRList={${POD_CIDR}}" \
    --set routingMode=tunnel \
    --set tunnelProtocol=vxlan
}

# cni_is_installed PROVIDER : true when the add-on's main object already exists in the cluster,
# so a rerun (reboot, replaced init master) never re-installs over a running network.
cni_is_installed() {
  case "$1" in
    calico) cni_kubectl get installations.operator.tigera.io default >/dev/null 2>&1 ;;
    cilium) cni_kubectl -n kube-system get daemonset cilium >/dev/null 2>&1 ;;
    flannel) cni_kubectl -n kube-flannel get daemonset kube-flannel-ds >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}

# install_cni : install the configured add-on unless it is already there.
install_cni() {
  local env_file="${K8SHA_NODE_ENV:-/etc/k8sha/node.env}" dir="${K8SHA_CNI_WORK_DIR:-/var/lib/k8sha/cni}"
  [[ -r "$env_file" ]] || die "node env file $env_file is missing"
  # shellcheck source=/dev/null
  . "$env_file"
  [[ -n "${CNI_PROVIDER:-}" && -n "${CNI_VERSION:-}" && -n "${POD_CIDR:-}" ]] ||
    die "CNI_PROVIDER, CNI_VERSION and POD_CIDR must be set in $env_file"
  [[ "$CNI_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "CNI_VERSION '$CNI_VERSION' is not X.Y.Z"
  [[ "$POD_CIDR" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+$ ]] || die "POD_CIDR '$POD_CIDR' is not a CIDR"
  case "$CNI_PROVIDER" in
    calico) [[ -r "${CALICO_INSTALLATION:-}" ]] || die "CALICO_INSTALLATION must name a readable file in $env_file" ;;
    cilium | flannel) ;;
    *) die "unknown CNI_PROVIDER '$CNI_PROVIDER' (calico, cilium or flannel)" ;;
  esac
  if cni_is_installed "$CNI_PROVIDER"; then
    log "$CNI_PROVIDER is already installed; skipping"
    return 0
  fi
  log "installing $CNI_PROVIDER $CNI_VERSION with pod CIDR $POD_CIDR"
  mkdir -p "$dir"
  "install_${CNI_PROVIDER}" "$dir"
  log "$CNI_PROVIDER $CNI_VERSION applied"
}
