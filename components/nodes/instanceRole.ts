import * as pulumi from "@pulumi/pulumi";
import { baseTags, TAG_ROLE } from "../../base/tags";
import { NodeRole } from "../iam/nodeRole";
import {
  type MasterPolicyInputs,
  masterPolicy,
  type WorkerPolicyInputs,
  workerPolicy,
} from "../iam/policyOutputs";

export interface MasterInstanceRoleArgs {
  /** The master's policy inputs: its own etcd volume, stable address, secrets, backups, bundle. */
  policy: MasterPolicyInputs;
  /** The master's etcd member (the description). */
  member: string;
  /** The master's zone (the description). */
  availabilityZone: pulumi.Input<string>;
  /** The master's tags (`nodeTags`), on the role and its instance profile. */
  tags: Record<string, string>;
}

/**
 * One master's instance role, registered under the caller's `opts.parent`. Each master has
 * its own, because each may attach only its own etcd volume and assign only its own address.
 */
export function masterInstanceRole(
  name: string,
  args: MasterInstanceRoleArgs,
  opts: pulumi.ComponentResourceOptions,
): NodeRole {
  const description = pulumi.interpolate`k8sha ${args.policy.clusterName} master ${args.member} in ${args.availabilityZone}`;
  return new NodeRole(name, { description, policy: masterPolicy(args.policy), tags: args.tags }, opts);
}

export interface WorkerInstanceRoleArgs {
  /** The worker policy's inputs: cluster, account, join secrets, the worker bundle's read scope. */
  policy: WorkerPolicyInputs;
  /** Extra tags every resource of the cluster carries. */
  tags?: Record<string, string>;
}

/**
 * The instance role every worker pool shares, registered under the caller's `opts.parent`:
 * workers own no per-node AWS resources, so one role serves them all.
 */
export function workerInstanceRole(
  name: string,
  args: WorkerInstanceRoleArgs,
  opts: pulumi.ComponentResourceOptions,
): NodeRole {
  const clusterName = args.policy.clusterName;
  return new NodeRole(
    name,
    {
      description: `k8sha ${clusterName} workers`,
      policy: workerPolicy(args.policy),
      tags: { ...baseTags(clusterName, args.tags), [TAG_ROLE]: "worker" },
    },
    opts,
  );
}
