/**
 * Which etcd release an external etcd cluster may run under a given Kubernetes minor, and the
 * digest its tarball must have. Pure data and rules. The release range is read from kubeadm's own table (cmd/kubeadm/app/constants/constants.go in
 * kubernetes/kubernetes): `MinExternalEtcdVersion` is "3.5.24-0" on every supported branch, and
 * `SupportedEtcdVersion` maps 1.31-1.33 to 3.5.24 and 1.34 to 3.6.5. kubeadm's preflight refuses an
 * external etcd older than the minimum; an etcd minor newer than the one kubeadm ships for that
 * Kubernetes minor is untested by kubeadm, so it is refused here too.
 */
import { compareVersions, parseVersion } from "./semver";

/** The oldest etcd kubeadm accepts as an external cluster (constants.go MinExternalEtcdVersion). */
export const MIN_EXTERNAL_ETCD_VERSION = "3.5.24";

/** The etcd release kubeadm ships for each supported Kubernetes minor: the default `etcd.version`. */
export const ETCD_VERSION_FOR_KUBERNETES_MINOR: Readonly<Record<number, string>> = {
  31: "3.5.24",
  32: "3.5.24",
  33: "3.5.24",
  34: "3.6.5",
  // kubeadm 1.35 keeps etcd 3.6 (its SupportedEtcdVersion lists 3.6.x for 34-36).
  35: "3.6.5",
};

/** The default etcd release for `kubernetesMinor`; undefined outside the supported minors. */
export function defaultEtcdVersion(kubernetesMinor: number): string | undefined {
  return ETCD_VERSION_FOR_KUBERNETES_MINOR[kubernetesMinor];
}

/**
 * What is wrong with running etcd `version` under Kubernetes 1.`kubernetesMinor`, phrased as what
 * is allowed; undefined when it is fine.
 */
export function etcdVersionProblem(version: string, kubernetesMinor: number): string | undefined {
  const shipped = defaultEtcdVersion(kubernetesMinor);
  if (shipped === undefined) return undefined; // the Kubernetes version is reported on its own key
  const given = parseVersion(version);
  const min = parseVersion(MIN_EXTERNAL_ETCD_VERSION);
  const newest = parseVersion(shipped);
  if (!given || !min || !newest) return "must be MAJOR.MINOR.PATCH without a leading v, e.g. 3.5.24";
  const range = `${MIN_EXTERNAL_ETCD_VERSION} up to the newest 3.${newest.minor}.x (kubeadm 1.${kubernetesMinor} ships ${shipped})`;
  if (compareVersions(given, min) < 0)
    return `${range}: kubeadm refuses an external etcd older than ${MIN_EXTERNAL_ETCD_VERSION}`;
  if (given.major !== newest.major || given.minor > newest.minor) {
    return `${range}: etcd ${given.major}.${given.minor} is newer than kubeadm 1.${kubernetesMinor} supports`;
  }
  return undefined;
}

/**
 * The sha256 of each upstream release tarball (`etcd-v<version>-linux-amd64.tar.gz`) an etcd
 * node may install, by etcd version: the default `etcd.releaseSha256`. One entry per release this
 * project defaults to (`ETCD_VERSION_FOR_KUBERNETES_MINOR`). Nothing can be downloaded where this
 * project is built, so no entry was computed here: each one is a digest that independent
 * publishers of the same file agree on (read 2026-12 from their repositories):
 * - 3.5.24: kubespray `etcd_binary_checksums` (roles/kubespray_defaults/vars/main/checksums.yml,
 *   kubernetes-sigs/kubespray 46dbdd3) and kubekey `version/components.json` (kubesphere/kubekey
 *   44214fe, "change etcd to 3.5.24").
 * - 3.6.5: the same kubespray file, openstack/kolla `kolla/common/sources.py` (the etcd source's
 *   amd64 sha256) and chromebrew `packages/etcd.rb`.
 * A release without an entry still installs, with the digest the stack states itself (checked
 * against the release's SHA256SUMS by whoever writes it: examples/external-etcd/README.md).
 */
export const ETCD_RELEASE_SHA256: Readonly<Record<string, string>> = {
  "3.5.24": "042497e2ddcee06f22e5d486d81f58affa26b53ee423e2a6aaca3d3ea98c8191",
  "3.6.5": "66bad39ed920f6fc15fd74adcb8bfd38ba9a6412f8c7852d09eb11670e88cac3",
};

/** The upstream release tarball an etcd node installs for `version`. */
export function etcdReleaseTarball(version: string): string {
  return `etcd-v${version}-linux-amd64.tar.gz`;
}

/** The pinned digest of etcd `version`'s tarball in `table`; undefined when none is pinned. */
export function pinnedEtcdReleaseSha256(
  version: string,
  table: Readonly<Record<string, string>> = ETCD_RELEASE_SHA256,
): string | undefined {
  return Object.hasOwn(table, version) ? table[version] : undefined;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * What is wrong with `given` (the raw `etcd.releaseSha256`, undefined when absent) as the digest
 * of etcd `version`'s tarball, phrased as what is allowed; undefined when it is fine. `version`
 * is undefined when the release itself is refused or unknown: then only the digest's form is
 * judged, since there is no release to require or compare a digest for.
 */
export function etcdReleaseSha256Problem(
  given: unknown,
  version: string | undefined,
  table: Readonly<Record<string, string>> = ETCD_RELEASE_SHA256,
): string | undefined {
  const tarball = version === undefined ? "the etcd release tarball" : etcdReleaseTarball(version);
  if (given !== undefined && (typeof given !== "string" || !SHA256_HEX.test(given))) {
    return `64 lower-case hex digits: the sha256 of ${tarball}`;
  }
  if (version === undefined) return undefined;
  const pinned = pinnedEtcdReleaseSha256(version, table);
  if (given === undefined) {
    return pinned === undefined
      ? `required for etcd ${version}: the sha256 of ${tarball} (no pinned digest for this release in config/etcd-versions.ts)`
      : undefined;
  }
  if (pinned !== undefined && given !== pinned) {
    return `the digest pinned for etcd ${version} in config/etcd-versions.ts, ${pinned}: a different sha256 of ${tarball} is a different file; remove the key or fix it`;
  }
  return undefined;
}
