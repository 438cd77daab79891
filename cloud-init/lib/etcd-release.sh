# shellcheck shell=bash
# The upstream etcd release, pinned by its sha256: the server on a dedicated etcd node, etcdctl
# (and etcdutl) on a master of the external topology, which has no etcd image to copy them out
# of (etcd-tools.sh does that for stacked masters). Sourced after common.sh.
#
# Environment (optional; tests point it at loopback):
#   ETCD_RELEASE_BASE_URL  where releases are downloaded  (https://github.com/etcd-io/etcd/releases/download)
#   K8SHA_ETCD_TOOLS_DIR   where the binaries go          (common.sh: /opt/k8sha/etcd)

# etcd_release_install VERSION SHA256 : etcd, etcdctl (and etcdutl, when the release has it) of
# the upstream linux-amd64 tarball into K8SHA_ETCD_TOOLS_DIR, only if the download's sha256 is
# SHA256. A no-op when that release is installed. A digest mismatch is fatal at once: a
# download that differs from its pin will not get better by retrying.
etcd_release_install() {
  local version="$1" sha="$2" dest="$K8SHA_ETCD_TOOLS_DIR" url tmp tool
  if [[ -f "$dest/release" && "$(<"$dest/release")" == "$version $sha" && -x "$dest/etcd" ]]; then
    log "etcd $version is installed in $dest"
    return 0
  fi
  url="${ETCD_RELEASE_BASE_URL:-https://github.com/etcd-io/etcd/releases/download}/v$version/etcd-v$version-linux-amd64.tar.gz"
  tmp="$(mktemp -d)"
  log "downloading etcd $version from $url"
  # Bounded: a stalled transfer must fail the attempt, not hang the boot.
  if ! retry curl -fsSL --connect-timeout 10 --max-time 300 -o "$tmp/etcd.tar.gz" "$url"; then
    rm -rf "$tmp"
    log "cannot download $url"
    return 1
  fi
  if ! printf '%s  %s\n' "$sha" "$tmp/etcd.tar.gz" | sha256sum --check --status -; then
    rm -rf "$tmp"
    die "the etcd $version download from $url does not have its pinned sha256 $sha"
  fi
  tar -xzf "$tmp/etcd.tar.gz" -C "$tmp" --strip-components=1 || die "cannot unpack the etcd $version release"
  mkdir -p "$dest"
  for tool in etcd etcdctl etcdutl; do
    if [[ -x "$tmp/$tool" ]]; then install -m 0755 "$tmp/$tool" "$dest/$tool"; else rm -f "$dest/$tool"; fi
  done
  rm -rf "$tmp"
  [[ -x "$dest/etcd" && -x "$dest/etcdctl" ]] || die "the etcd $version release has no etcd or etcdctl"
  printf '%s %s\n' "$version" "$sha" >"$dest/release"
  log "installed etcd $version (sha256 $sha) in $dest: $(cd "$dest" && echo etcd*)"
}
