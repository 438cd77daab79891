# shellcheck shell=bash
# `k8sha-control-plane upgrade --version V` (control-plane-ops.sh): THIS master, in place, as
# kubeadm's upgrade guide has it: kubeadm V first, then `kubeadm upgrade apply V` on the first
# master (the cluster's ClusterConfiguration is older than V) or `kubeadm upgrade node` on the
# others, then kubelet and kubectl V and a kubelet restart. What kubeadm or etcd would refuse is
# refused before `kubeadm upgrade` changes anything; only the kubeadm package may be at V by then
# (the etcd check needs its image list), which changes nothing on the node by itself.
# Sourced after control-plane-ops.sh, control-plane-etcd.sh and their libraries (prereqs.sh:
# write_kubernetes_repo, apt_get; kubeadm.sh: readyz_ok; etcd-tools.sh: etcd_tools_from_manifest).
#
# Environment (optional):
#   KUBEADM_PATCHES_DIR          kubeadm's patches       (the directory the boot's kubeadm config names)
#   K8SHA_UPGRADE_WAIT_SECONDS   the wait for the restarted kubelet and the local API          (300)
#   KUBEADM, APT_MARK, K8SHA_SYSTEMCTL (prereqs.sh), K8SHA_CURL (kubeadm.sh)

# The oldest etcd v3.5 patch every member must run before any member runs v3.6. etcd's upgrade
# guide (etcd-io/website content/en/docs/v3.6/upgrades/upgrade_3_6.md) asks for a healthy 3.5
# cluster; its maintainers then asked for 3.5.24 (blog 2025-10-21, a learner's snapshot with wrong
# membership from older members) and for 3.5.26 (blog 2025-12-17, "zombie members": 3.5.26 repairs
# v2/v3 membership drift before 3.6 drops the v2 store). kubeadm 1.33 ships 3.5.24 and checks
# nothing (kubernetes/kubeadm#3247), so this CLI does. The one place to change it.
CPO_ETCD_MIN_FOR_3_6="3.5.26"

# cpo_version_lt A B : true when version A (X.Y.Z; a leading v and a -N suffix ignored) is older than B.
cpo_version_lt() {
  local -a a b
  local i
  IFS=. read -r -a a <<<"${1#v}"
  IFS=. read -r -a b <<<"${2#v}"
  for i in 0 1 2; do
    a[i]="${a[i]%%-*}" b[i]="${b[i]%%-*}"
    if ((10#${a[i]:-0} != 10#${b[i]:-0})); then
      ((10#${a[i]:-0} < 10#${b[i]:-0}))
      return
    fi
  done
  return 1
}

# cpo_etcd_step_refusals TARGET NAME=VERSION... : one line per member that may not go to etcd
# TARGET (a version or image tag) yet; status 1 when there is one. Only 3.5 -> 3.6 has a rule.
cpo_etcd_step_refusals() {
  local target="${1%%-*}" member version refused=0
  shift
  if cpo_version_lt "$target" 3.6.0; then return 0; fi
  for member in "$@"; do
    version="${member#*=}"
    # 3.6 takes over a cluster of 3.5 members only (below 3.5 there is no path at all).
    if cpo_version_lt "$version" 3.6.0 && cpo_version_lt "$version" "$CPO_ETCD_MIN_FOR_3_6"; then
      echo "member ${member%%=*} runs etcd $version; etcd $target needs every member at $CPO_ETCD_MIN_FOR_3_6 or later first"
      refused=1
    fi
  done
  return "$refused"
}

# cpo_patches_dir : the patches directory of the boot's kubeadm runs. Without it kubeadm writes
# its own etcd manifest: a data volume of type DirectoryOrCreate instead of the patch's Directory,
# which would start an empty member on the root disk when the EBS volume is not mounted.
cpo_patches_dir() {
  local dir="${KUBEADM_PATCHES_DIR:-}"
  if [[ -z "$dir" && -r "${KUBEADM_JOIN_TEMPLATE:-}" ]]; then
    dir="$(awk '/^patches:/ { p = 1; next } p && /^[[:space:]]+directory:/ { print $2; exit }
      /^[^[:space:]]/ { p = 0 }' "$KUBEADM_JOIN_TEMPLATE" | tr -d "\"'")"
  fi
  [[ -n "$dir" && -d "$dir" ]] || return 1
  printf '%s\n' "$dir"
}

# cpo_prune_etcd_copies : before an etcd upgrade kubeadm copies the data dir to
# <kubernetes dir>/tmp/kubeadm-backup-etcd-<time> on the ROOT disk and keeps it for stacked
# etcd (phases/upgrade/staticpods.go; its upgrade guide says to clear it by hand). Keep the
# newest copy, drop older ones, so upgrade after upgrade does not fill the root volume.
cpo_prune_etcd_copies() {
  local tmp="${KUBERNETES_DIR:-/etc/kubernetes}/tmp" old
  [[ -d "$tmp" ]] || return 0
  while IFS= read -r old; do
    log "removing kubeadm's older etcd copy $old"
    rm -rf -- "$old"
  done < <(find "$tmp" -maxdepth 1 -type d -name 'kubeadm-backup-etcd-*' | sort | head -n -1)
}

# _cpo_upgraded VERSION : the local API is ready and this master's Node reports kubelet VERSION.
_cpo_upgraded() {
  local row
  readyz_ok "$STABLE_IP" || return 1
  row="$(cpo_node_at "$STABLE_IP")" || return 1
  [[ "$(cut -f4 <<<"$row")" == "v$1" ]]
}

# cpo_stacked_etcd_versions V : kubeadm V's etcd image may replace the one every member runs
# (stacked etcd: kubeadm upgrades the local member with the control plane). Fails (after its
# FAIL line) when it may not.
cpo_stacked_etcd_versions() {
  local want="$1" images etcd_image row refusals
  local -a members=()
  # Called in an `||` list, where errexit does not act: every failure is checked here.
  if ! images="$("${KUBEADM:-kubeadm}" config images list --kubernetes-version "v$want")" ||
    ! etcd_image="$(grep -m1 '/etcd:' <<<"$images")"; then
    cpo_fail etcd-versions "cannot read the etcd image of kubeadm v$want"
    return 1
  fi
  if ! row="$(cpo_member_versions)" || grep -q ' unknown$' <<<"$row"; then
    cpo_fail etcd-versions "cannot read the etcd version of every member: ${row//$'\n'/, }"
    return 1
  fi
  mapfile -t members < <(tr ' ' '=' <<<"$row")
  # kubeadm leaves etcd alone when V pins the image this master already runs: no etcd step.
  if [[ "$(etcd_image_of_manifest 2>/dev/null)" == "$etcd_image" ]]; then
    cpo_ok etcd-versions "$etcd_image stays: kubeadm v$want pins the image etcd runs"
  elif ! refusals="$(cpo_etcd_step_refusals "${etcd_image##*:}" "${members[@]}")"; then
    cpo_fail etcd-versions "${refusals//$'\n'/; }"
    return 1
  else
    cpo_ok etcd-versions "${members[*]} may go to $etcd_image"
  fi
}

# cpo_upgrade VERSION : the refusals, then the upgrade (see the top). A step that fails after the
# checks ends the CLI through errexit: its EXIT trap names the step (CPO_CHECK) and fails.
cpo_upgrade() {
  local want="$1" cluster row name kubelet patches
  local want_major want_minor have_major have_minor
  local -a upgrade=() kubeadm_args=()
  if ! cluster="$(cpo_cluster_version)"; then
    cpo_fail version "cannot read kubernetesVersion from the kubeadm-config ConfigMap"
    return 0
  fi
  if ! row="$(cpo_node_at "${STABLE_IP:?STABLE_IP must be set (node.env)}")" || [[ -z "$row" ]]; then
    cpo_fail version "no Node at this master's address $STABLE_IP"
    return 0
  fi
  name="$(cut -f1 <<<"$row")" kubelet="$(cut -f4 <<<"$row")"
  if [[ "${cluster#v}" == "$want" && "$kubelet" == "v$want" ]]; then
    cpo_ok upgrade "$name already runs v$want, as the cluster does: nothing to do"
    return 0
  fi
  if cpo_version_lt "$want" "$cluster"; then
    cpo_fail version "refusing a downgrade: the cluster runs $cluster, v$want was asked for"
    return 0
  fi
  IFS=. read -r want_major want_minor _ <<<"$want"
  IFS=. read -r have_major have_minor _ <<<"${cluster#v}"
  if [[ "$want_major" != "$have_major" ]] || ((want_minor > have_minor + 1)); then
    cpo_fail version "refusing $cluster -> v$want: kubeadm upgrades one minor version at a time"
    return 0
  fi
  if ! patches="$(cpo_patches_dir)"; then
    cpo_fail patches "no kubeadm patches directory (KUBEADM_PATCHES_DIR, or patches.directory in ${KUBEADM_JOIN_TEMPLATE:-the join config})"
    return 0
  fi
  if cpo_version_lt "$cluster" "$want"; then
    upgrade=(upgrade apply "v$want" --yes)
  else
    upgrade=(upgrade node)
  fi
  cpo_ok version "$name: kubelet $kubelet, cluster $cluster -> v$want (kubeadm ${upgrade[*]:0:2})"

  cpo_step kubeadm-package
  write_kubernetes_repo "$want"
  apt_get update >&2
  apt_get install --no-install-recommends --allow-change-held-packages "kubeadm=$want-*" >&2
  "${APT_MARK:-apt-mark}" hold kubeadm >&2
  cpo_step etcd-versions
  if [[ "${ETCD_TOPOLOGY:-stacked}" == external ]]; then
    # kubeadm upgrades only a local etcd: the etcd nodes keep their own pinned release.
    cpo_ok etcd-versions "external etcd: kubeadm leaves the etcd nodes alone"
  else
    cpo_stacked_etcd_versions "$want" || return 0
  fi

  cpo_step kubeadm-upgrade
  kubeadm_args=("${upgrade[@]}" --certificate-renewal=true --patches "$patches")
  "${KUBEADM:-kubeadm}" "${kubeadm_args[@]}" >&2
  cpo_ok kubeadm-upgrade "kubeadm ${kubeadm_args[*]}"
  cpo_prune_etcd_copies
  cpo_step kubelet
  apt_get install --no-install-recommends --allow-change-held-packages "kubelet=$want-*" "kubectl=$want-*" >&2
  "${APT_MARK:-apt-mark}" hold kubelet kubectl >&2
  "${K8SHA_SYSTEMCTL:-systemctl}" daemon-reload
  "${K8SHA_SYSTEMCTL:-systemctl}" restart kubelet
  if ! wait_until "${K8SHA_UPGRADE_WAIT_SECONDS:-300}" "the local API and kubelet v$want on $name" _cpo_upgraded "$want"; then
    cpo_fail kubelet "$name does not report kubelet v$want with a ready API at $STABLE_IP"
    return 0
  fi
  cpo_ok kubelet "$name runs kubelet v$want; its API is ready"
  # A new etcd image brings its own etcdctl/etcdutl (the backup timer and this CLI use them); an
  # external master keeps the etcd release's.
  if [[ "${ETCD_TOPOLOGY:-stacked}" != external ]]; then
    cpo_step etcd-tools
    etcd_tools_from_manifest
  fi
}
