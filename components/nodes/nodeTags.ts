import { baseTags, TAG_ROLE } from "../../base/tags";

/** The `k8sha.io/role` values. IAM conditions and the policy pack match on them, so they are a closed set. */
export type NodeRoleTag = "master" | "worker";

export interface NodeTagsArgs {
  /** Cluster name (the cluster and ownership tags). */
  clusterName: string;
  /** Extra tags every resource of the cluster carries. */
  tags?: Record<string, string>;
  /** The node's role: the `k8sha.io/role` value. */
  role: NodeRoleTag;
  /**
   * Tags that tell the role's nodes apart, e.g. the etcd member or the pool. They come after the
   * role tag and before `Name`, an order the ASG's tag list keeps.
   */
  roleTags: Record<string, string>;
  /** The `Name` tag: what the EC2 console shows for the instance. */
  name: string;
}

/**
 * The identity of one group of nodes: the cluster's base tags, the role, the role's own tags
 * and a `Name`. It goes on everything the group owns (template, ASG, instances, volumes,
 * interfaces, role), because the IAM conditions that scope a node to its own resources match
 * on these tags.
 */
export function nodeTags(args: NodeTagsArgs): Record<string, string> {
  return {
    ...baseTags(args.clusterName, args.tags),
    [TAG_ROLE]: args.role,
    ...args.roleTags,
    Name: args.name,
  };
}
