# shellcheck shell=bash
# Node prerequisites for kubeadm: swap off, kernel modules, sysctls, containerd with the
# systemd cgroup driver, kubelet/kubeadm/kubectl pinned to the cluster version and held.
# Sourced after common.sh. Every step is idempotent (safe to re-run after a reboot).
#
# Environment (optional; tests set a temp root and stub binaries):
#   K8SHA_ROOT        prefix for every file written under /etc   ("")
#   APT_GET           apt-get binary                             (apt-get)
#   APT_MARK          apt-mark binary                            (apt-mark)
#   K8SHA_SYSTEMCTL   systemctl binary                           (systemctl)
#   K8SHA_MODPROBE    modprobe binary                            (modprobe)
#   K8SHA_SYSCTL      sysctl binary                              (sysctl)
#   K8SHA_SWAPOFF     swapoff binary                             (swapoff)
#   K8SHA_CONTAINERD  containerd binary                          (containerd)
#   K8SHA_CURL        curl binary                                (curl)
#   K8SHA_GPG         gpg binary                                 (gpg)
#   K8S_PKGS_BASE     package repository base                    (https://pkgs.k8s.io/core:/stable:)

K8SHA_ROOT="${K8SHA_ROOT:-}"

# apt_get ARGS... : apt-get, non-interactive, waiting for the dpkg lock, retried.
apt_get() {
  retry env DEBIAN_FRONTEND=noninteractive "${APT_GET:-apt-get}" -o DPkg::Lock::Timeout=120 -y "$@"
}

# disable_swap : kubelet refuses to run with swap on (default). Also comment swap out of fstab.
disable_swap() {
  local fstab="$K8SHA_ROOT/etc/fstab"
  "${K8SHA_SWAPOFF:-swapoff}" -a
  if [[ -f "$fstab" ]]; then
    sed -i -E '/^[^#].*[[:space:]]swap[[:space:]]/s/^/#k8sha-swapoff# /' "$fstab"
  fi
}

# load_kernel_modules : overlay (containerd) and br_netfilter (bridged traffic through iptables).
load_kernel_modules() {
  local conf="$K8SHA_ROOT/etc/modules-load.d/k8sha.conf" mod
  mkdir -p "$(dirname "$conf")"
  printf 'overlay\nbr_netfilter\n' >"$conf"
  for mod in overlay br_netfilter; do "${K8SHA_MODPROBE:-modprobe}" "$mod"; done
}

# apply_sysctls : forwarding and bridge netfilter, persisted in /etc/sysctl.d.
apply_sysctls() {
  local conf="$K8SHA_ROOT/etc/sysctl.d/99-k8sha.conf"
  mkdir -p "$(dirname "$conf")"
  printf '%s\n' 'net.ipv4.ip_forward = 1' 'net.bridge.bridge-nf-call-iptables = 1' \
    'net.bridge.bridge-nf-call-ip6tables = 1' >"$conf"
  "${K8SHA_SYSCTL:-sysctl}" --system >/dev/null
}

# set_systemd_cgroup FILE : flip runc's SystemdCgroup to true in a containerd config.toml
# (containerd 1.7 "version = 2" and 2.x "version = 3" layouts); fail if the key is missing.
set_systemd_cgroup() {
  local file="$1"
  sed -i -E 's/^([[:space:]]*SystemdCgroup[[:space:]]*=[[:space:]]*)false[[:space:]]*$/\1true/' "$file"
  grep -Eq '^[[:space:]]*SystemdCgroup[[:space:]]*=[[:space:]]*true[[:space:]]*$' "$file" ||
    die "SystemdCgroup not found in $file; containerd config layout changed"
}

# configure_containerd : default config with the systemd cgroup driver (kubelet's default).
configure_containerd() {
  local conf="$K8SHA_ROOT/etc/containerd/config.toml"
  mkdir -p "$(dirname "$conf")"
  "${K8SHA_CONTAINERD:-containerd}" config default >"$conf.new"
  set_systemd_cgroup "$conf.new"
  mv -f "$conf.new" "$conf"
}

install_containerd() {
  apt_get update
  apt_get install --no-install-recommends containerd ca-certificates curl gpg
  configure_containerd
  retry "${K8SHA_SYSTEMCTL:-systemctl}" restart containerd
  "${K8SHA_SYSTEMCTL:-systemctl}" enable containerd
}

# k8s_minor VERSION : 1.34.2 -> 1.34
k8s_minor() {
  [[ "$1" =~ ^v?(1\.[0-9]+)\.[0-9]+$ ]] || die "bad Kubernetes version: $1"
  printf '%s\n' "${BASH_REMATCH[1]}"
}

# write_kubernetes_repo VERSION : signing key + apt source for pkgs.k8s.io's per-minor repo.
write_kubernetes_repo() {
  local minor repo keyring list
  minor="$(k8s_minor "$1")"
  repo="${K8S_PKGS_BASE:-https://pkgs.k8s.io/core:/stable:}/v$minor/deb/"
  keyring="$K8SHA_ROOT/etc/apt/keyrings/kubernetes-apt-keyring.gpg"
  list="$K8SHA_ROOT/etc/apt/sources.list.d/kubernetes.list"
  mkdir -p "$(dirname "$keyring")" "$(dirname "$list")"
  retry "${K8SHA_CURL:-curl}" -fsSL --max-time 30 -o "$keyring.asc" "${repo}Release.key"
  "${K8SHA_GPG:-gpg}" --batch --yes --dearmor -o "$keyring" "$keyring.asc"
  rm -f "$keyring.asc"
  printf 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] %s /\n' "$repo" >"$list"
}

# install_kubernetes_packages VERSION : exact kubelet/kubeadm/kubectl, then apt-mark hold so
# unattended upgrades never move a node off the cluster version.
install_kubernetes_packages() {
  local version="${1#v}"
  write_kubernetes_repo "$version"
  apt_get update
  # conntrack: kubeadm < 1.32 preflight requires it (preflight/checks_linux.go), kube-proxy uses it.
  apt_get install --no-install-recommends --allow-change-held-packages \
    "kubelet=$version-*" "kubeadm=$version-*" "kubectl=$version-*" conntrack
  "${APT_MARK:-apt-mark}" hold kubelet kubeadm kubectl
  "${K8SHA_SYSTEMCTL:-systemctl}" enable kubelet
}

# ensure_aws_cli : the boot scripts talk to EC2/SSM through the AWS CLI. Ubuntu >= 24.04 ships
# it as a snap only; older releases have the awscli package.
ensure_aws_cli() {
  if command -v "${AWS:-aws}" >/dev/null 2>&1; then return 0; fi
  if command -v snap >/dev/null 2>&1; then
    retry snap install aws-cli --classic
  else
    apt_get install --no-install-recommends awscli
  fi
  command -v "${AWS:-aws}" >/dev/null 2>&1 || die "cannot install the AWS CLI"
}

# set_sandbox_image FILE IMAGE : the pod sandbox (pause) image kubeadm expects, in containerd 1.7
# (config version 2: sandbox_image) or 2.x (version 3: pinned_images.sandbox) layout; containerd's
# own default (e.g. pause:3.8 in 1.7) differs from kubeadm's and kubelet would pull a second one.
set_sandbox_image() {
  local file="$1" image="$2"
  sed -i -E \
    -e "s#^([[:space:]]*sandbox_image[[:space:]]*=[[:space:]]*).*#\\1\"${image}\"#" \
    -e "s#^([[:space:]]*sandbox[[:space:]]*=[[:space:]]*).*#\\1'${image}'#" "$file"
  grep -Eq "^[[:space:]]*(sandbox_image = \"|sandbox = ')${image}[\"']\$" "$file" ||
    die "no sandbox image key in $file; containerd config layout changed"
}

# configure_sandbox_image VERSION : ask the installed kubeadm which pause image it uses, set it.
configure_sandbox_image() {
  local conf="$K8SHA_ROOT/etc/containerd/config.toml" images pause
  images="$("${KUBEADM:-kubeadm}" config images list --kubernetes-version "v${1#v}")" ||
    die "kubeadm config images list failed"
  pause="$(grep -m1 '/pause:' <<<"$images")" || die "kubeadm names no pause image"
  set_sandbox_image "$conf" "$pause"
  retry "${K8SHA_SYSTEMCTL:-systemctl}" restart containerd
  log "containerd sandbox image: $pause"
}

# prepare_node VERSION : everything above, in order.
prepare_node() {
  disable_swap
  load_kernel_modules
  apply_sysctls
  install_containerd
  install_kubernetes_packages "$1"
  configure_sandbox_image "$1"
  ensure_aws_cli
}
