import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The Auto Scaling event an ASG emits when it cannot launch an instance (capacity, a bad
 * template, a KMS key it may not use). Source: docs.aws.amazon.com/autoscaling/ec2/userguide/
 * automating-ec2-auto-scaling-with-eventbridge.html ("EC2 Instance Launch Unsuccessful").
 */
export const LAUNCH_UNSUCCESSFUL = {
  source: "aws.autoscaling",
  detailType: "EC2 Instance Launch Unsuccessful",
};

/** The rule's event pattern: launch failures of the given ASGs only. */
export function launchFailurePattern(asgNames: string[]): string {
  return JSON.stringify({
    source: [LAUNCH_UNSUCCESSFUL.source],
    "detail-type": [LAUNCH_UNSUCCESSFUL.detailType],
    detail: { AutoScalingGroupName: [...asgNames].sort() },
  });
}

/**
 * The rule alone, created before the topic so its target can follow. Its event pattern is the
 * only filter on what EventBridge publishes: AWS documents no usable condition for EventBridge in
 * the topic policy or the key policy (topic.ts POLICY_SOURCES), so neither names this rule.
 */
export function createLaunchFailureRule(
  name: string,
  p: { clusterName: string; asgNames: pulumi.Input<string>[]; tags: Record<string, string> },
  opts: { parent: pulumi.Resource },
): aws.cloudwatch.EventRule {
  return new aws.cloudwatch.EventRule(
    `${name}-launch-failed`,
    {
      name: `k8sha-${p.clusterName}-asg-launch-failed`,
      description: `k8sha ${p.clusterName}: an ASG of the cluster could not launch an instance`,
      eventPattern: pulumi.all(p.asgNames).apply(launchFailurePattern),
      tags: p.tags,
    },
    // A fixed name is taken until the old one is gone.
    { ...opts, deleteBeforeReplace: true },
  );
}

/**
 * Sends the rule's events to the alarm topic. No RoleArn: for SNS targets EventBridge relies on
 * the topic's resource policy, and AWS warns that a RoleArn there can make delivery to a
 * KMS-encrypted topic fail (docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html).
 */
export function targetTopic(
  name: string,
  rule: aws.cloudwatch.EventRule,
  topicArn: pulumi.Input<string>,
  opts: { parent: pulumi.Resource; dependsOn?: pulumi.Resource[] },
): aws.cloudwatch.EventTarget {
  return new aws.cloudwatch.EventTarget(`${name}-launch-failed`, { rule: rule.name, arn: topicArn }, opts);
}
