/**
 * cluster-autoscaler's permissions: read the groups and their templates, and change only the
 * size of this cluster's worker groups.
 *
 * Sources: kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md ("IAM Policy",
 * "Auto-Discovery Setup") and cloudprovider/aws/aws_wrapper.go (the Auto Scaling and EC2 calls
 * it makes). Left out of the README's list on purpose:
 * - autoscaling:DescribeLaunchConfigurations: the pools use launch templates only;
 * - ec2:GetInstanceTypesFromInstanceRequirements and ec2:DescribeImages: called only for
 *   attribute-based instance requirements, which no pool uses (they name instance types);
 * - eks:DescribeNodegroup: EKS managed node groups only.
 * The two mutating calls take the group's tags as `autoscaling:ResourceTag/<key>` (Amazon EC2
 * Auto Scaling user guide, "Control access using tags"): a group must carry the discovery tags
 * the worker pools set (base/autoscaler.ts) AND be a worker group of this cluster, so a master
 * group stays out of reach even if someone tags it for discovery.
 */
import { autoscalerDiscoveryTagKeys } from "../../../base/autoscaler";
import { TAG_CLUSTER, TAG_ROLE } from "../../../base/tags";
import type { PolicyDocument } from "../policyDocument";
import { type AddonPolicyScope, regionalArn, tagConditions } from "./scope";

/** Read-only calls; Auto Scaling and EC2 Describe* have no resource-level permissions, so "*". */
export const AUTOSCALER_DESCRIBE_ACTIONS = [
  "autoscaling:DescribeAutoScalingGroups",
  "autoscaling:DescribeAutoScalingInstances",
  // Failed scale-ups show as failed activities (aws_wrapper.go DescribeScalingActivities).
  "autoscaling:DescribeScalingActivities",
  "autoscaling:DescribeTags",
  "ec2:DescribeInstanceTypes",
  // The node template: instance type of the group's launch template version.
  "ec2:DescribeLaunchTemplateVersions",
] as const;

export const AUTOSCALER_SCALING_ACTIONS = [
  "autoscaling:SetDesiredCapacity",
  "autoscaling:TerminateInstanceInAutoScalingGroup",
] as const;

/** The tags a group must carry for the autoscaler to resize it: what `autoscalerTags` and `nodeTags` put on a worker group. */
export function scalableGroupTags(clusterName: string): Record<string, string> {
  const [enabled, owned] = autoscalerDiscoveryTagKeys(clusterName);
  return { [enabled]: "true", [owned]: "owned", [TAG_CLUSTER]: clusterName, [TAG_ROLE]: "worker" };
}

export function clusterAutoscalerPolicy(scope: AddonPolicyScope): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DescribeGroupsAndTemplates",
        Effect: "Allow",
        Action: [...AUTOSCALER_DESCRIBE_ACTIONS],
        Resource: "*",
      },
      {
        Sid: "ScaleClusterWorkerGroups",
        Effect: "Allow",
        Action: [...AUTOSCALER_SCALING_ACTIONS],
        Resource: [regionalArn(scope, "autoscaling", "autoScalingGroup:*:autoScalingGroupName/*")],
        Condition: {
          StringEquals: tagConditions("autoscaling:ResourceTag", scalableGroupTags(scope.clusterName)),
        },
      },
    ],
  };
}
