/** What every add-on policy is scoped to, and the ARN and condition helpers they share. */
import { AWS_DEFAULT_PARTITION } from "../../../base/aws";
import type { AccountScope } from "../policyDocument";

/** The cluster an add-on role serves: its name (the tag values the conditions match) and where it runs. */
export interface AddonPolicyScope extends AccountScope {
  /** Cluster name: the value of `k8sha.io/cluster` and the suffix of `kubernetes.io/cluster/<name>`. */
  clusterName: string;
}

export const partitionOf = (scope: AccountScope) => scope.partition ?? AWS_DEFAULT_PARTITION;

/** `arn:<partition>:<service>:<region>:<account>:<resource>` of the cluster's region and account. */
export function regionalArn(scope: AccountScope, service: string, resource: string): string {
  return `arn:${partitionOf(scope)}:${service}:${scope.region}:${scope.accountId}:${resource}`;
}

/**
 * A tag map as IAM condition entries under `prefix` (`aws:ResourceTag`, `aws:RequestTag`,
 * `autoscaling:ResourceTag`): the conditions are built from the same maps the resources are
 * tagged with, so a renamed tag cannot leave a policy matching nothing.
 */
export function tagConditions(prefix: string, tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([key, value]) => [`${prefix}/${key}`, value]));
}
