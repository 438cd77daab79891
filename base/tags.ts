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

/** The tags every resource of a cluster carries. */
export function baseTags(clusterName: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, [TAG_CLUSTER]: clusterName, ...clusterOwnershipTag(clusterName) };
}
