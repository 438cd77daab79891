/** Tag conventions shared by every component (kops/Kubernetes cloud-provider compatible). */

/** `kubernetes.io/cluster/<name>`: how AWS cloud integrations recognise a cluster's resources. */
export function clusterOwnershipTag(
  clusterName: string,
  value: "owned" | "shared" = "owned",
): Record<string, string> {
  return { [`kubernetes.io/cluster/${clusterName}`]: value };
}

/** Project tag keys. IAM conditions match on these, so they are constants, never free text. */
export const TAG_CLUSTER = "k8sha.io/cluster";
export const TAG_ROLE = "k8sha.io/role";
export const TAG_ETCD_MEMBER = "k8sha.io/etcd-member";
export const TAG_BOOT_STATUS = "k8sha.io/boot-status";
/**
 * On each master instance (from its launch template): a fingerprint of everything the template
 * gives the instance except the Kubernetes version. The rolling gate replaces an instance whose
 * fingerprint differs from its template's, and upgrades in place one whose version tag differs.
 */
export const TAG_NODE_SPEC = "k8sha.io/node-spec";
/** On each master instance: the Kubernetes version it runs (set at launch, updated by an in-place upgrade). */
export const TAG_KUBERNETES_VERSION = "k8sha.io/kubernetes-version";

/** The tags every resource of a cluster carries. */
export function baseTags(clusterName: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, [TAG_CLUSTER]: clusterName, ...clusterOwnershipTag(clusterName) };
}
