/**
 * MAJOR.MINOR.PATCH versions, the one parser and ordering every version rule in `config/` uses
 * (the Kubernetes upgrade path, the etcd release range, the Kubernetes minor of a stack).
 */

export interface Version {
  major: number;
  minor: number;
  patch: number;
}

const PLAIN = /^(\d+)\.(\d+)\.(\d+)$/;
const WITH_V = /^v?(\d+)\.(\d+)\.(\d+)$/;

/**
 * `text` as a version, or undefined when it is not exactly MAJOR.MINOR.PATCH. A leading `v`
 * (`v1.33.2`, as `kubectl version` prints it) is accepted only when `leadingV` is set.
 */
export function parseVersion(text: string, leadingV = false): Version | undefined {
  const m = (leadingV ? WITH_V : PLAIN).exec(leadingV ? text.trim() : text);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

/** Negative when `a` is older than `b`, zero when equal, positive when newer. */
export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** The minor of a `1.MINOR.PATCH` Kubernetes version; undefined when it is not one. */
export function kubernetesMinor(kubernetesVersion: string): number | undefined {
  const v = parseVersion(kubernetesVersion);
  return v && v.major === 1 ? v.minor : undefined;
}
