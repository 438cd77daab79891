import { baseTags, TAG_ETCD_MEMBER, TAG_ROLE } from "./tags";

/**
 * The `k8sha.io/role` values. IAM conditions and the policy pack match on them, so they are a
 * closed set. `etcd` is a dedicated etcd member of the external topology: it is no master (the
 * policy pack's control-plane checks and the masters' IAM conditions leave it out) and no worker.
 */
export type NodeRoleTag = "master" | "worker" | "etcd";

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

/**
 * The root volume's tags: the node's, minus the etcd-member tag (that tag marks a member's data
 * volume, and the root volume is not one) and with `Name` `<node>-root`, so the console and any
 * tag filter can tell a node's root volume from its etcd volume.
 */
export function rootVolumeTags(tags: Record<string, string>): Record<string, string> {
  const { [TAG_ETCD_MEMBER]: _member, Name: name, ...rest } = tags;
  if (name === undefined) throw new Error("rootVolumeTags: the node's tags have no Name (see nodeTags)");
  return { ...rest, Name: `${name}-root` };
}
