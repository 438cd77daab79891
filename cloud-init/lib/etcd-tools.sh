# shellcheck shell=bash
# etcdctl and etcdutl on a master. The Ubuntu AMI has neither, so they are copied out of the very
# etcd image kubeadm runs (registry.k8s.io/etcd, pulled and digest-verified by containerd): the
# same version as the server, no extra download or checksum to pin. One mechanism for the boot,
# the backup timer and the restore CLI. Sourced after common.sh.
#
# Which binaries an image holds: the images Kubernetes built itself (e.g. 3.5.15-0, kubeadm 1.31)
# carry etcd and etcdctl at /usr/local/bin but no etcdutl; the upstream etcd images that
# registry.k8s.io copies from 3.5.23/3.6.5 on (kubeadm 1.33, 1.34) carry etcd, etcdctl and
# etcdutl there. Callers use etcdutl when it exists (etcdctl lost `snapshot status|restore` in 3.6).
#
# Environment (the first three defaulted in common.sh):
#   K8SHA_ETCD_TOOLS_DIR  where the binaries are installed       (/opt/k8sha/etcd)
#   K8SHA_ETCDCTL         etcdctl used by every library           ($K8SHA_ETCD_TOOLS_DIR/etcdctl)
#   K8SHA_ETCDUTL         etcdutl, used when present              ($K8SHA_ETCD_TOOLS_DIR/etcdutl)
#   K8SHA_CTR             containerd's CLI                        (ctr)
#   K8SHA_ETCD_MANIFEST   kubeadm's etcd static pod   (/etc/kubernetes/manifests/etcd.yaml)

# etcd_tools_install IMAGE : copy etcdctl (required) and etcdutl (when the image has it) out of
# IMAGE, which containerd must already hold (`ctr images mount`, read-only). A no-op when the
# copy for that image exists.
etcd_tools_install() {
  local image="$1" dest="$K8SHA_ETCD_TOOLS_DIR" ctr="${K8SHA_CTR:-ctr}" mnt tool rc=0
  if [[ -f "$dest/image" && "$(cat "$dest/image")" == "$image" && -x "$dest/etcdctl" ]]; then return 0; fi
  log "copying etcdctl/etcdutl out of $image"
  mnt="$(mktemp -d)" && mkdir -p "$dest" || return 1
  retry "$ctr" -n k8s.io images mount "$image" "$mnt" >/dev/null || rc=1
  for tool in etcdctl etcdutl; do
    if ((rc == 0)) && [[ -x "$mnt/usr/local/bin/$tool" ]]; then
      install -m 0755 "$mnt/usr/local/bin/$tool" "$dest/$tool" || rc=1
    else
      rm -f "$dest/$tool"
    fi
  done
  "$ctr" -n k8s.io images unmount "$mnt" >/dev/null 2>&1 || true
  rmdir "$mnt" 2>/dev/null || true
  if ((rc != 0)) || [[ ! -x "$dest/etcdctl" ]]; then
    log "could not copy etcdctl out of $image"
    return 1
  fi
  printf '%s\n' "$image" >"$dest/image"
  log "etcd tools of $image in $dest: $(cd "$dest" && echo etcd*)"
}

# etcd_image_of_manifest : the image of kubeadm's etcd static pod (it changes on upgrades).
etcd_image_of_manifest() {
  local manifest="${K8SHA_ETCD_MANIFEST:-/etc/kubernetes/manifests/etcd.yaml}" image
  image="$(sed -n 's/^[[:space:]]*image:[[:space:]]*//p' "$manifest" | head -n 1 | tr -d "\"'")"
  [[ -n "$image" ]] || { log "no etcd image found in $manifest"; return 1; }
  printf '%s\n' "$image"
}

# etcd_tools_from_manifest : the tools of the image the running etcd uses (backup timer).
etcd_tools_from_manifest() {
  local image
  image="$(etcd_image_of_manifest)" || return 1
  etcd_tools_install "$image"
}

# etcd_tools_for_config KUBEADM_CONFIG : before any etcd exists on this node: pull kubeadm's
# images for this config (kubeadm init/join would pull them anyway) and install the etcd tools
# of the etcd image it names (`kubeadm config images list` prints one image per line).
etcd_tools_for_config() {
  local images image
  images="$(retry "${KUBEADM:-kubeadm}" config images list --config "$1")" || die "kubeadm config images list failed"
  image="$(grep -m1 '/etcd:' <<<"$images")" || die "kubeadm names no etcd image for $1"
  retry "${KUBEADM:-kubeadm}" config images pull --config "$1" >&2 || die "cannot pull kubeadm's images"
  etcd_tools_install "$image" || die "cannot install etcdctl from $image"
}
