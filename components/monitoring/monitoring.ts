import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { alarmNamePrefix as alarmNamePrefixFor } from "../../base/alarmNames";
import { isEmailAddress, isHttpsEndpoint } from "../../config/validate-monitoring";
import { alarmSpecs } from "./alarmSpecs";
import { createAlarms } from "./alarms";
import { createDashboard } from "./dashboard";
import { createLaunchFailureRule, targetTopic } from "./launchFailures";
import { createAlarmTopic } from "./topic";

export interface MonitoringArgs {
  /** Cluster name (plain: alarm, topic, key and dashboard names). */
  clusterName: string;
  /** The cluster's region (alarm and dashboard ARNs, the dashboard's widgets). */
  region: pulumi.Input<string>;
  /** The account the alarms publish from (the topic's key and topic policies). */
  accountId: pulumi.Input<string>;
  /** The AWS partition of the ARNs (`aws`, `aws-cn`, ...). */
  partition: pulumi.Input<string>;
  /** Number of masters (plain: the quorum and the healthy-host thresholds). */
  masterCount: number;
  /** Zone of master i: one per-zone alarm each. */
  masterZones: pulumi.Input<string>[];
  /** Fixed ASG name of master i. */
  masterAsgNames: string[];
  /**
   * External etcd: zone and fixed ASG name of etcd node i (their etcd, group, certificate and boot
   * alarms). Absent: stacked etcd.
   */
  etcdNodes?: { zones: pulumi.Input<string>[]; asgNames: string[] };
  /** Every ASG of the cluster (masters and workers): their launch failures reach the topic. */
  asgNames: pulumi.Input<string>[];
  /** `net/<name>/<id>` of the API NLB (its LoadBalancer dimension). */
  loadBalancerArnSuffix: pulumi.Input<string>;
  /** `targetgroup/<name>/<id>` of the API target group. */
  targetGroupArnSuffix: pulumi.Input<string>;
  /** `backup.intervalMinutes`: the backup alarms' period. */
  backupIntervalMinutes: number;
  /** Addresses subscribed by email. */
  emailSubscriptions: string[];
  /** URLs subscribed by HTTPS. */
  httpsSubscriptions: string[];
  /** Tags of every resource. */
  tags: Record<string, string>;
}

/** Refuses a subscription SNS would refuse, before any resource exists (config/validate-monitoring.ts). */
function checkSubscriptions(args: MonitoringArgs): void {
  const bad = [
    ...args.emailSubscriptions.filter((e) => !isEmailAddress(e)).map((e) => `email "${e}"`),
    ...args.httpsSubscriptions.filter((u) => !isHttpsEndpoint(u)).map((u) => `https "${u}"`),
  ];
  if (bad.length > 0) throw new Error(`Monitoring: invalid subscription(s): ${bad.join(", ")}`);
}

/**
 * The cluster's alarms: a KMS-encrypted SNS topic (a customer key CloudWatch and EventBridge may
 * use), its subscriptions, every alarm of alarmSpecs.ts, an EventBridge rule for failed ASG
 * launches, and one dashboard with the watched metrics. docs/monitoring.md says what each means.
 */
export class Monitoring extends pulumi.ComponentResource {
  public readonly topicArn: pulumi.Output<string>;
  public readonly kmsKeyArn: pulumi.Output<string>;
  public readonly alarmNames: pulumi.Output<string>[];
  public readonly dashboardName: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:monitoring:Monitoring", name, {}, opts);
    checkSubscriptions(args);
    const child = { parent: this };
    const alarmNamePrefix = alarmNamePrefixFor(args.clusterName);

    const rule = createLaunchFailureRule(
      name,
      { clusterName: args.clusterName, asgNames: args.asgNames, tags: args.tags },
      child,
    );
    const { key, topic } = createAlarmTopic(
      name,
      {
        clusterName: args.clusterName,
        accountId: args.accountId,
        partition: args.partition,
        region: args.region,
        alarmNamePrefix,
        tags: args.tags,
      },
      child,
    );
    targetTopic(name, rule, topic.arn, child);
    args.emailSubscriptions.forEach((endpoint, i) => {
      new aws.sns.TopicSubscription(
        `${name}-email-${i}`,
        { topic: topic.arn, protocol: "email", endpoint },
        child,
      );
    });
    args.httpsSubscriptions.forEach((endpoint, i) => {
      new aws.sns.TopicSubscription(
        `${name}-https-${i}`,
        { topic: topic.arn, protocol: "https", endpoint, endpointAutoConfirms: false },
        child,
      );
    });

    const specs = alarmSpecs(args);
    const alarms = createAlarms(
      name,
      specs,
      { alarmNamePrefix, topicArn: topic.arn, tags: args.tags },
      child,
    );
    const dashboard = createDashboard(
      name,
      { clusterName: args.clusterName, region: args.region, specs, alarms },
      child,
    );

    this.topicArn = topic.arn;
    this.kmsKeyArn = key.arn;
    this.alarmNames = alarms.map((a) => a.name);
    this.dashboardName = dashboard.dashboardName;
    this.registerOutputs({
      topicArn: this.topicArn,
      kmsKeyArn: this.kmsKeyArn,
      dashboardName: this.dashboardName,
    });
  }
}
