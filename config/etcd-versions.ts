/**
 * Which etcd release an external etcd cluster may run under a given Kubernetes minor. Pure data
 * and one rule, read from kubeadm's own table (cmd/kubeadm/app/constants/constants.go in
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
