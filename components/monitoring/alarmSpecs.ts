/**
 * What the cluster alarms on, as plain data: metric, statistic, threshold, how long, and what a
 * missing datapoint means. alarms.ts turns each into a CloudWatch MetricAlarm; the tests read
 * the same table's intent from the graph. Thresholds and their sources: docs/monitoring.md.
 *
 * Missing data, decided per alarm (CloudWatch's treatMissingData):
 * - "breaching" for heartbeats: a metric that must arrive every period (NLB health counts, ASG
 *   group metrics, EtcdHasLeader, EtcdBackupSucceeded). Silence means the source is gone.
 * - "notBreaching" for failure-only signals (EtcdBackupFailed, BootFailed): published only when
 *   something failed, so no data is the good case.
 * - "missing" for the other per-master health values: when the master stops reporting, its
 *   EtcdHasLeader heartbeat alarms; keeping these alarms' state (not flipping to OK) means a
 *   dying master neither hides a problem nor raises ten alarms at once.
 */
import type * as pulumi from "@pulumi/pulumi";
import {
  BACKUP_METRICS,
  BOOT_FAILURE_ROLES,
  type BootFailureRole,
  backupDimensions,
  bootFailureDimensions,
  bootLogPrefix,
  etcdQuorum,
  HEALTH_DIMENSIONS,
  HEALTH_METRICS,
  METRICS_NAMESPACE,
  STACKED_BOOT_FAILURE_ROLES,
} from "../../base/healthMetrics";
import { TAG_BOOT_STATUS } from "../../base/tags";
import type { AlarmSpec, Severity } from "./alarmTypes";
import { nodeAlarms } from "./nodeAlarms";

export type { AlarmSpec, MissingData, Severity } from "./alarmTypes";

/** Seconds between health-timer runs the alarms assume (the node side publishes at least this often). */
export const HEALTH_PERIOD_SECONDS = 60;

export interface AlarmSpecInput {
  clusterName: string;
  masterCount: number;
  /** Zone of master i, for the first masterCount zones. */
  masterZones: pulumi.Input<string>[];
  /** Fixed ASG name of master i. */
  masterAsgNames: string[];
  /** `net/<name>/<id>` of the API NLB. */
  loadBalancerArnSuffix: pulumi.Input<string>;
  /** `targetgroup/<name>/<id>` of the API target group. */
  targetGroupArnSuffix: pulumi.Input<string>;
  backupIntervalMinutes: number;
  /**
   * The dedicated etcd nodes of the external topology: zone and fixed ASG name of member i. Their
   * zones get the etcd alarms (the masters' zones keep the control-plane ones), their groups an
   * "empty" alarm each, their certificates (Role=etcd) an expiry alarm, their boots a failure
   * alarm. Absent: stacked etcd, a member on every master.
   */
  etcdNodes?: { zones: pulumi.Input<string>[]; asgNames: string[] };
}

const NLB = "AWS/NetworkELB";
const ASG = "AWS/AutoScaling";

/** Every alarm of the cluster. */
export function alarmSpecs(a: AlarmSpecInput): AlarmSpec[] {
  const quorum = etcdQuorum(a.masterCount);
  const etcdZones = a.etcdNodes?.zones ?? a.masterZones;
  const etcdMemberQuorum = etcdQuorum(etcdZones.length);
  const lb = { TargetGroup: a.targetGroupArnSuffix, LoadBalancer: a.loadBalancerArnSuffix };
  const specs: AlarmSpec[] = [];
  const healthy = (
    id: string,
    kind: string,
    severity: Severity,
    threshold: number,
    dims: AlarmSpec["dimensions"],
  ) =>
    specs.push({
      id,
      kind,
      severity,
      namespace: NLB,
      metricName: "HealthyHostCount",
      dimensions: dims,
      statistic: "Minimum",
      comparison: "LessThanThreshold",
      threshold,
      periodSeconds: 60,
      evaluationPeriods: 3,
      // Health checks run every few seconds; no count at all means the NLB is not checking.
      treatMissingData: "breaching",
      description:
        kind === "api-zone-no-healthy"
          ? "no healthy API server behind the NLB in this master zone."
          : `fewer than ${threshold} healthy API servers behind the NLB.`,
    });
  a.masterZones.forEach((zone, i) => {
    healthy(`api-healthy-${i}`, "api-zone-no-healthy", "warning", 1, { ...lb, AvailabilityZone: zone });
  });
  healthy("api-healthy-below-masters", "api-healthy-below-masters", "warning", a.masterCount, lb);
  healthy("api-healthy-below-quorum", "api-healthy-below-quorum", "critical", quorum, lb);

  a.masterAsgNames.forEach((asg, i) => {
    specs.push(emptyGroupAlarm(`master-asg-${i}`, "master-asg-empty", asg, "the master's ASG"));
  });

  const backupPeriod = a.backupIntervalMinutes * 60;
  specs.push({
    id: "backup-failed",
    kind: "backup-failed",
    severity: "warning",
    namespace: METRICS_NAMESPACE,
    metricName: BACKUP_METRICS.failed,
    dimensions: backupDimensions(a.clusterName),
    statistic: "Sum",
    comparison: "GreaterThanOrEqualToThreshold",
    threshold: 1,
    periodSeconds: backupPeriod,
    evaluationPeriods: 1,
    treatMissingData: "notBreaching",
    description: "an etcd snapshot run failed (see the master's journal: k8sha-etcd-backup).",
  });
  specs.push({
    id: "backup-missing",
    kind: "backup-missing",
    severity: "critical",
    namespace: METRICS_NAMESPACE,
    metricName: BACKUP_METRICS.succeeded,
    dimensions: backupDimensions(a.clusterName),
    statistic: "Sum",
    comparison: "LessThanThreshold",
    threshold: 1,
    periodSeconds: backupPeriod,
    evaluationPeriods: 2,
    treatMissingData: "breaching",
    description: "no successful etcd snapshot for 2 backup intervals: restores would lose that much.",
  });

  for (const n of nodeAlarms(etcdMemberQuorum)) {
    // External etcd: the etcd alarms watch the etcd nodes' zones, the rest the masters'.
    const zones = n.kind.startsWith("etcd-") ? etcdZones : a.masterZones;
    zones.forEach((zone, i) => {
      specs.push({
        ...n,
        id: `${n.kind}-${i}`,
        namespace: METRICS_NAMESPACE,
        dimensions: { [HEALTH_DIMENSIONS.cluster]: a.clusterName, [HEALTH_DIMENSIONS.zone]: zone },
        periodSeconds: n.periodSeconds ?? HEALTH_PERIOD_SECONDS,
      });
    });
  }
  if (a.etcdNodes) specs.push(...etcdNodeAlarms(a.etcdNodes, a.clusterName));
  specs.push(
    ...bootFailureAlarms(a.clusterName, a.etcdNodes ? BOOT_FAILURE_ROLES : STACKED_BOOT_FAILURE_ROLES),
  );
  return specs;
}

/** A single-instance group (a master's, an etcd node's) with no instance in service for 5 minutes. */
function emptyGroupAlarm(id: string, kind: string, asg: string, what: string): AlarmSpec {
  return {
    id,
    kind,
    severity: "critical",
    namespace: ASG,
    metricName: "GroupInServiceInstances",
    dimensions: { AutoScalingGroupName: asg },
    statistic: "Minimum",
    comparison: "LessThanThreshold",
    threshold: 1,
    periodSeconds: 60,
    evaluationPeriods: 5,
    // Group metrics at 1-minute granularity arrive every minute while collection is on.
    treatMissingData: "breaching",
    description: `${what} has no instance in service for 5 minutes (launches failing?).`,
  };
}

/**
 * The etcd nodes' own alarms (external topology): a group with no instance in service, and the
 * node's certificates (published with Role=etcd beside the zone) close to expiry.
 */
function etcdNodeAlarms(etcd: NonNullable<AlarmSpecInput["etcdNodes"]>, clusterName: string): AlarmSpec[] {
  const groups = etcd.asgNames.map((asg, i) =>
    emptyGroupAlarm(`etcd-asg-${i}`, "etcd-node-asg-empty", asg, "the etcd node's ASG"),
  );
  const certificates = etcd.zones.map(
    (zone, i): AlarmSpec => ({
      id: `etcd-node-certificate-expiry-${i}`,
      kind: "etcd-node-certificate-expiry",
      severity: "warning",
      namespace: METRICS_NAMESPACE,
      metricName: HEALTH_METRICS.certificateDaysLeft,
      dimensions: {
        [HEALTH_DIMENSIONS.cluster]: clusterName,
        [HEALTH_DIMENSIONS.zone]: zone,
        [HEALTH_DIMENSIONS.role]: "etcd",
      },
      statistic: "Minimum",
      comparison: "LessThanThreshold",
      threshold: 14,
      periodSeconds: 3600,
      evaluationPeriods: 1,
      treatMissingData: "missing",
      description:
        "a certificate of the etcd node expires in under 14 days: its renewal timer is not working.",
    }),
  );
  return [...groups, ...certificates];
}

/**
 * One alarm per node role on BootFailed (report.sh publishes 1 per failed boot attempt, with the
 * cluster and the role as dimensions): any failed boot within 5 minutes. A failing boot is
 * retried every minute, so the alarm stays in ALARM while it keeps failing, and returns to OK
 * 5 minutes after the last failure. Ids `boot-failed-<i>` in `roles` order: the roles the cluster
 * boots (a stacked cluster has no etcd nodes, and an alarm on a role nobody boots would watch nothing).
 */
export function bootFailureAlarms(
  clusterName: string,
  roles: readonly BootFailureRole[] = STACKED_BOOT_FAILURE_ROLES,
): AlarmSpec[] {
  return roles.map((role, i) => ({
    id: `boot-failed-${i}`,
    kind: "boot-failed",
    severity: "warning",
    namespace: METRICS_NAMESPACE,
    metricName: HEALTH_METRICS.bootFailed,
    dimensions: bootFailureDimensions(clusterName, role),
    statistic: "Sum",
    comparison: "GreaterThanOrEqualToThreshold",
    threshold: 1,
    periodSeconds: 300,
    evaluationPeriods: 1,
    treatMissingData: "notBreaching",
    description:
      `a ${role} node failed its boot. Its log tail: s3://<cluster bucket>/${bootLogPrefix(clusterName, role)}<instance-id>.log; ` +
      `the instance carries the tag ${TAG_BOOT_STATUS}=failed:<step>. See docs/boot-failures.md.`,
  }));
}
