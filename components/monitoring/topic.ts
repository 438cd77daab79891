import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Where the topic lives and who may publish to it. */
export interface AlarmTopicArgs {
  /** Cluster name (plain: the topic, key alias and alarm-name scope). */
  clusterName: string;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  region: pulumi.Input<string>;
  /** Every alarm's name starts with this: the topic policy admits CloudWatch only for those. */
  alarmNamePrefix: string;
  /** ARN of the EventBridge rule allowed to publish (the ASG launch-failure rule). */
  ruleArn: pulumi.Input<string>;
  tags: Record<string, string>;
}

/** The services that publish to the topic. */
export const PUBLISHERS = { cloudwatch: "cloudwatch.amazonaws.com", events: "events.amazonaws.com" } as const;

/**
 * The key policy: the account root keeps full control (so IAM policies keep working and the key
 * can never become unmanageable), and CloudWatch and EventBridge may only make and open data
 * keys, on behalf of this account. The AWS-managed `alias/aws/sns` key cannot be used: its policy
 * cannot be changed to admit these services, and SNS then drops their messages. Source:
 * docs.aws.amazon.com/sns/latest/dg/sns-key-management.html ("Enable compatibility between event
 * sources from AWS services and encrypted topics": kms:GenerateDataKey* and kms:Decrypt).
 */
export function topicKeyPolicy(accountId: string, partition: string): string {
  const service = (sid: string, principal: string) => ({
    Sid: sid,
    Effect: "Allow",
    Principal: { Service: principal },
    Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
    Resource: "*",
    Condition: { StringEquals: { "aws:SourceAccount": accountId } },
  });
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountRoot",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      service("CloudWatchAlarms", PUBLISHERS.cloudwatch),
      service("EventBridgeRules", PUBLISHERS.events),
    ],
  });
}

/**
 * The topic policy: CloudWatch may publish for this account's alarms named with the cluster's
 * prefix, EventBridge for the one rule; both scoped by aws:SourceAccount and aws:SourceArn so no
 * other account's alarm or rule can use the topic (the confused-deputy guard of
 * docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
 */
export function topicPolicy(p: {
  topicArn: string;
  accountId: string;
  partition: string;
  region: string;
  alarmNamePrefix: string;
  ruleArn: string;
}): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CloudWatchAlarms",
        Effect: "Allow",
        Principal: { Service: PUBLISHERS.cloudwatch },
        Action: "sns:Publish",
        Resource: p.topicArn,
        Condition: {
          StringEquals: { "aws:SourceAccount": p.accountId },
          ArnLike: {
            "aws:SourceArn": `arn:${p.partition}:cloudwatch:${p.region}:${p.accountId}:alarm:${p.alarmNamePrefix}*`,
          },
        },
      },
      {
        Sid: "EventBridgeRule",
        Effect: "Allow",
        Principal: { Service: PUBLISHERS.events },
        Action: "sns:Publish",
        Resource: p.topicArn,
        Condition: {
          StringEquals: { "aws:SourceAccount": p.accountId },
          ArnEquals: { "aws:SourceArn": p.ruleArn },
        },
      },
    ],
  });
}

/** The customer KMS key, the encrypted topic and its policy. */
export interface AlarmTopic {
  key: aws.kms.Key;
  topic: aws.sns.Topic;
}

export function createAlarmTopic(
  name: string,
  args: AlarmTopicArgs,
  opts: { parent: pulumi.Resource },
): AlarmTopic {
  const key = new aws.kms.Key(
    `${name}-key`,
    {
      description: `k8sha ${args.clusterName}: alarm topic (CloudWatch alarms, EventBridge)`,
      enableKeyRotation: true,
      policy: pulumi.all([args.accountId, args.partition]).apply(([a, p]) => topicKeyPolicy(a, p)),
      tags: args.tags,
    },
    opts,
  );
  new aws.kms.Alias(
    `${name}-key`,
    { name: `alias/k8sha-${args.clusterName}-alarms`, targetKeyId: key.keyId },
    opts,
  );
  const topic = new aws.sns.Topic(
    `${name}-topic`,
    { name: `k8sha-${args.clusterName}-alarms`, kmsMasterKeyId: key.arn, tags: args.tags },
    opts,
  );
  new aws.sns.TopicPolicy(
    `${name}-topic-policy`,
    {
      arn: topic.arn,
      policy: pulumi
        .all([topic.arn, args.accountId, args.partition, args.region, args.ruleArn])
        .apply(([topicArn, accountId, partition, region, ruleArn]) =>
          topicPolicy({
            topicArn,
            accountId,
            partition,
            region,
            ruleArn,
            alarmNamePrefix: args.alarmNamePrefix,
          }),
        ),
    },
    opts,
  );
  return { key, topic };
}
