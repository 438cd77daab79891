#!/usr/bin/env bash
# Makes sure the Debian tools the tests drive for real are present.
# As root with apt-get it installs what is missing; otherwise it fails naming the exact command.
set -euo pipefail

# command -> Debian package providing it
declare -A TOOLS=(
  [shellcheck]=shellcheck
  [cloud-init]=cloud-init
  [etcd]=etcd-server
  [etcdctl]=etcd-client
  [aws]=awscli
  [openssl]=openssl
  [mkfs.ext4]=e2fsprogs
  [blkid]=util-linux
  [curl]=curl
  [systemd-analyze]=systemd
  # The stale-Node test renders its fake API answers through the real kubectl jsonpath printer.
  [kubectl]=kubernetes-client
  # The node sandbox (test/node) links the AMI's commands (test/node/ami) to this machine's, needs
  # unshare and losetup, and serves a GPG-armoured key; kubeadm's preflight wants iptables.
  [iptables]=iptables
  [nsenter]=util-linux
  [unshare]=util-linux
  [losetup]=mount
  [gpg]=gpg
  [ip]=iproute2
  [ps]=procps
  [hostname]=hostname
  [logger]=bsdutils
  [which]=debianutils
  # The master boot writes a netplan file for its stable address and runs `netplan generate`.
  [netplan]=netplan.io
)

missing_packages() {
  local cmd
  for cmd in "${!TOOLS[@]}"; do
    # /usr/bin/aws specifically: a pyenv shim named aws may exist without the Debian CLI.
    if [[ "$cmd" == aws ]]; then
      [[ -x /usr/bin/aws ]] || printf '%s\n' "${TOOLS[$cmd]}"
    elif ! command -v "$cmd" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/$cmd" && ! -x "/sbin/$cmd" ]]; then
      printf '%s\n' "${TOOLS[$cmd]}"
    fi
  done | sort -u
}

mapfile -t need < <(missing_packages)
if ((${#need[@]} == 0)); then
  exit 0
fi
install_cmd="apt-get update && apt-get install -y --no-install-recommends ${need[*]}"
if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-tools: installing ${need[*]}" >&2
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >&2
  mapfile -t still < <(missing_packages)
  if ((${#still[@]} > 0)); then
    echo "ensure-tools: still missing after install: ${still[*]}" >&2
    exit 1
  fi
else
  echo "ensure-tools: missing test tools. Install them with:" >&2
  echo "  sudo sh -c '$install_cmd'" >&2
  exit 1
fi
