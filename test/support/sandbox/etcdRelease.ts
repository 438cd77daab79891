/**
 * The etcd release an etcd node downloads, as the node sandbox serves it: the upstream tarball's
 * layout (`etcd-v<version>-linux-amd64/etcd`, `etcdctl`) holding the host's Debian etcd 3.4
 * binaries, under the host's version. Its sha256 is the tarball's own, not upstream's.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The etcd release the host has (Debian's 3.4), named as an upstream release would be. */
export function hostEtcdVersion(): string {
  const out = execFileSync("/usr/bin/etcd", ["--version"], { encoding: "utf8" });
  const m = /etcd Version: (\d+\.\d+\.\d+)/.exec(out);
  if (!m?.[1]) throw new Error(`cannot read the host's etcd version from: ${out}`);
  return m[1];
}

/** `etcd-v<version>-linux-amd64.tar.gz` laid out as upstream's, with the host's binaries. */
export function releaseTarball(dir: string, version: string): Buffer {
  const top = `etcd-v${version}-linux-amd64`;
  mkdirSync(join(dir, top), { recursive: true });
  for (const b of ["etcd", "etcdctl"]) copyFileSync(`/usr/bin/${b}`, join(dir, top, b));
  execFileSync("tar", ["-czf", join(dir, "release.tar.gz"), "-C", dir, top]);
  return readFileSync(join(dir, "release.tar.gz"));
}
