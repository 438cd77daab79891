import { alarmNamePrefix } from "../../base/alarmNames";
import { AWS_DEFAULT_PARTITION } from "../../base/aws";
import type { AccountScope, PolicyStatement } from "./policyDocument";

/**
 * What `k8sha-validate --on-master` reads with the master's role besides what the master already
 * may (its ASG and instance describes, the cluster parameters, the backup listing): the API
 * target group's health and the cluster's alarms. Read-only.
 * - ELBv2's Describe* actions have no resource-level permissions (Service Authorization
 *   Reference, "Actions defined by Elastic Load Balancing V2": no resource type), hence "*".
 * - DescribeAlarms can be scoped to alarm ARNs for metric alarms (CloudWatch API Reference,
 *   DescribeAlarms: only composite alarms need "*"); the cluster's alarms share one name prefix.
 */
export function validateReadStatements(scope: AccountScope, clusterName: string): PolicyStatement[] {
  const partition = scope.partition ?? AWS_DEFAULT_PARTITION;
  return [
    {
      Sid: "ValidateReadTargetHealth",
      Effect: "Allow",
      Action: ["elasticloadbalancing:DescribeTargetHealth"],
      Resource: "*",
    },
    {
      Sid: "ValidateReadAlarms",
      Effect: "Allow",
      Action: ["cloudwatch:DescribeAlarms"],
      Resource: [
        `arn:${partition}:cloudwatch:${scope.region}:${scope.accountId}:alarm:${alarmNamePrefix(clusterName)}*`,
      ],
    },
  ];
}
