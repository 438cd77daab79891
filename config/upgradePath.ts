/**
 * Which Kubernetes version a stack may move to from the one its control plane runs. kubeadm
 * upgrades one minor at a time and never downgrades (the version-skew policy: an API server at
 * most one minor ahead of the others during an upgrade, kubelets never newer than the API
 * server), so the program refuses anything else before it registers a single resource. Pure:
 * the caller reads the deployed version (components/rollGate.ts reads it from SSM).
 */

import { compareVersions, parseVersion } from "./semver";

/** What the guard compares. */
export interface UpgradePath {
  /** The version the control plane runs; undefined when none was deployed (a new cluster). */
  deployed: string | undefined;
  /** The version the stack asks for (`kubernetesVersion`). */
  requested: string;
  /** Where `deployed` was read from, for the message (e.g. the SSM parameter's name). */
  source: string;
}

/** Thrown when a stack asks for a version the control plane cannot move to. */
export class UpgradePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UpgradePathError";
  }
}

/**
 * Why `path` is refused, or undefined when it is allowed: nothing deployed, the same version,
 * a newer patch of the same minor, or the next minor (any patch). Refused: any downgrade (minor
 * or patch), a jump of more than one minor, a different major, a version that does not parse.
 */
export function upgradePathProblem(path: UpgradePath): string | undefined {
  const { deployed, requested, source } = path;
  if (deployed === undefined) return undefined;
  const head = `kubernetesVersion ${requested} cannot be deployed over ${deployed} (the version the control plane runs, read from ${source})`;
  // Either may carry a leading `v` (the deployed version is written by the boot from kubeadm).
  const from = parseVersion(deployed, true);
  const to = parseVersion(requested, true);
  if (!from) return `${head}: the deployed version is not MAJOR.MINOR.PATCH; correct or delete ${source}`;
  if (!to) return `${head}: kubernetesVersion must be 1.MINOR.PATCH`;
  if (from.major !== to.major) return `${head}: a different major version`;
  if (compareVersions(to, from) < 0) {
    return `${head}: a downgrade; kubeadm cannot downgrade a control plane (restore an etcd snapshot taken at ${requested} instead, docs/backup-restore.md)`;
  }
  if (to.minor > from.minor + 1) {
    const next = `${from.major}.${from.minor + 1}`;
    return `${head}: it skips ${to.minor - from.minor - 1} minor version(s); kubeadm upgrades one minor at a time, so deploy a ${next}.x release first`;
  }
  return undefined;
}

/** Throws an UpgradePathError naming both versions and `source` when `path` is refused. */
export function checkUpgradePath(path: UpgradePath): void {
  const problem = upgradePathProblem(path);
  if (problem !== undefined) throw new UpgradePathError(problem);
}
