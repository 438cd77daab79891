import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Where the topic lives and who may publish to it. */
export interface AlarmTopicArgs {
  /** Cluster name (plain: the topic, key alias and alarm-name scope). */
  clusterName: string;
  /** The account the alarms publish from (the key and topic policies admit only it). */
  accountId: pulumi.Input<string>;
  /** The AWS partition of the ARNs in the policies (`aws`, `aws-cn`, ...). */
  partition: pulumi.Input<string>;
  /** The region of the alarms and the topic. */
  region: pulumi.Input<string>;
  /** Every alarm's name starts with this: the topic policy admits CloudWatch only for those. */
  alarmNamePrefix: string;
  /** Tags of the key and the topic. */
  tags: Record<string, string>;
}

/** The services that publish to the topic. */
export const PUBLISHERS = { cloudwatch: "cloudwatch.amazonaws.com", events: "events.amazonaws.com" } as const;

/** AWS pages that say what each publisher's requests carry; docs/monitoring.md quotes them. */
export const POLICY_SOURCES = {
  /** Steps 2-3 of "Enable compatibility between event sources from AWS services and encrypted topics". */
  snsKeyManagement:
    "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services",
  /** "Amazon SNS permissions": "You can't use Condition blocks in Amazon SNS topic policies for EventBridge." */
  eventBridgeSns:
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions",
  /** Topic policy for CloudWatch alarms, narrowed with ArnLike aws:SourceArn on the alarm ARN. */
  cloudWatchTopicPolicy: "https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger",
} as const;

/**
 * The key policy: the account root keeps full control (so IAM policies keep working and the key
 * can never become unmanageable); CloudWatch and EventBridge may only make and open data keys
 * (kms:GenerateDataKey*, kms:Decrypt), as POLICY_SOURCES.snsKeyManagement asks. The AWS-managed
 * `alias/aws/sns` key cannot be used: its policy cannot be changed to admit these services.
 *
 * Only CloudWatch's statement is scoped to this account (aws:SourceAccount), which that page
 * recommends for AWS event sources in general. EventBridge's statement carries no condition:
 * the same page says aws:SourceAccount, aws:SourceArn and aws:SourceOrgID in a KMS policy are
 * "not supported for EventBridge-to-encrypted topics", so such a condition would make every
 * launch-failure publish fail. The key encrypts only this topic, and the topic policy decides
 * who may publish, so the unconditioned grant opens nothing else.
 */
export function topicKeyPolicy(accountId: string, partition: string): string {
  const dataKeys = { Action: ["kms:GenerateDataKey*", "kms:Decrypt"], Resource: "*" };
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
      {
        Sid: "CloudWatchAlarms",
        Effect: "Allow",
        Principal: { Service: PUBLISHERS.cloudwatch },
        ...dataKeys,
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
      { Sid: "EventBridgeRules", Effect: "Allow", Principal: { Service: PUBLISHERS.events }, ...dataKeys },
    ],
  });
}

/**
 * The topic policy. CloudWatch may publish only for this account's alarms named with the
 * cluster's prefix (aws:SourceAccount and ArnLike aws:SourceArn, the confused-deputy guard of
 * POLICY_SOURCES.cloudWatchTopicPolicy and docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
 * EventBridge's statement has no Condition block: POLICY_SOURCES.eventBridgeSns says none can be
 * used for EventBridge in an SNS topic policy. Which events reach the topic is then decided by the
 * rule's own pattern (launchFailures.ts) and by who may create rules targeting it (IAM).
 */
export function topicPolicy(p: {
  topicArn: string;
  accountId: string;
  partition: string;
  region: string;
  alarmNamePrefix: string;
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
    // A fixed name is taken until the old topic is gone.
    { ...opts, deleteBeforeReplace: true },
  );
  new aws.sns.TopicPolicy(
    `${name}-topic-policy`,
    {
      arn: topic.arn,
      policy: pulumi
        .all([topic.arn, args.accountId, args.partition, args.region])
        .apply(([topicArn, accountId, partition, region]) =>
          topicPolicy({ topicArn, accountId, partition, region, alarmNamePrefix: args.alarmNamePrefix }),
        ),
    },
    opts,
  );
  return { key, topic };
}
