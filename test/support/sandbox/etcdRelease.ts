/**
 * The etcd release an etcd node downloads, as the node sandbox serves it: the upstream tarball's
 * layout (`etcd-v<version>-linux-amd64/etcd`, `etcdctl`) holding the host's Debian etcd 3.4
 * binaries, under the host's version. Its sha256 is the tarball's own, not upstream's.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_KUBERNETES_VERSION } from "../../../config/defaults";
import { defaultEtcdVersion, pinnedEtcdReleaseSha256 } from "../../../config/etcd-versions";
import { kubernetesMinor, parseVersion } from "../../../config/semver";

/** The etcd release the host has (Debian's 3.4), named as an upstream release would be. */
export function hostEtcdVersion(): string {
  const out = execFileSync("/usr/bin/etcd", ["--version"], { encoding: "utf8" });
  const m = /etcd Version: (\d+\.\d+\.\d+)/.exec(out);
  if (!m?.[1]) throw new Error(`cannot read the host's etcd version from: ${out}`);
  return m[1];
}

/**
 * `etcd-v<version>-linux-amd64.tar.gz` laid out as upstream's, with the host's binaries, fixed
 * names, modes, owners and times and no gzip timestamp: the same bytes on every run of this host
 * (a graph synthesized with its sha256 stays the same graph).
 */
export function releaseTarball(dir: string, version: string): Buffer {
  const top = `etcd-v${version}-linux-amd64`;
  mkdirSync(join(dir, top), { recursive: true });
  for (const b of ["etcd", "etcdctl"]) copyFileSync(`/usr/bin/${b}`, join(dir, top, b));
  const tarball = join(dir, "release.tar.gz");
  execFileSync("bash", [
    "-c",
    'tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=0755 -C "$1" -cf - "$2" | gzip -n -9 >"$3"',
    "_",
    dir,
    top,
    tarball,
  ]);
  return readFileSync(tarball);
}

/**
 * The release a simulated external stack names: one patch past the default release, with no
 * pinned digest, since the sandbox's tarball (not upstream's bytes) cannot have a pinned one.
 */
export function simulatedEtcdVersion(): string {
  const shipped = defaultEtcdVersion(kubernetesMinor(DEFAULT_KUBERNETES_VERSION) ?? 0);
  const v = shipped === undefined ? undefined : parseVersion(shipped);
  if (!v) throw new Error(`no etcd release for Kubernetes ${DEFAULT_KUBERNETES_VERSION}`);
  const version = `${v.major}.${v.minor}.${v.patch + 1}`;
  if (pinnedEtcdReleaseSha256(version) !== undefined)
    throw new Error(`etcd ${version} has a pinned digest: the sandbox's tarball needs an unpinned release`);
  return version;
}
