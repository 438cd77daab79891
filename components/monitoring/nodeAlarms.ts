/**
 * The per-master health alarms (the node side's health timer metrics), one copy per master zone
 * once alarmSpecs.ts adds the zone. Thresholds and their sources: docs/monitoring.md.
 */
import { HEALTH_METRICS } from "../../base/healthMetrics";
import type { AlarmSpec } from "./alarmTypes";

export type NodeAlarm = Omit<AlarmSpec, "id" | "namespace" | "dimensions" | "periodSeconds" | "kind"> & {
  kind: string;
  periodSeconds?: number;
};

/** The per-master health alarms, one copy per master zone. Sources: docs/monitoring.md. */
export function nodeAlarms(quorum: number): NodeAlarm[] {
  const m = HEALTH_METRICS;
  return [
    {
      kind: "etcd-no-leader",
      severity: "critical",
      metricName: m.etcdHasLeader,
      statistic: "Minimum",
      comparison: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: 3,
      treatMissingData: "breaching",
      description: "etcd member has no leader, or its master stopped reporting: writes fail on it.",
    },
    {
      kind: "etcd-members",
      severity: "critical",
      metricName: m.etcdHealthyMembers,
      statistic: "Minimum",
      comparison: "LessThanThreshold",
      threshold: quorum,
      evaluationPeriods: 3,
      treatMissingData: "missing",
      description: `fewer than ${quorum} healthy etcd members (quorum): one more failure stops the cluster.`,
    },
    {
      kind: "etcd-leader-changes",
      severity: "warning",
      metricName: m.etcdLeaderChanges15m,
      statistic: "Maximum",
      comparison: "GreaterThanThreshold",
      threshold: 3,
      periodSeconds: 300,
      evaluationPeriods: 1,
      treatMissingData: "missing",
      description: "more than 3 etcd leader changes in 15 minutes: slow disk, network or CPU starvation.",
    },
    {
      kind: "etcd-db-size",
      severity: "warning",
      metricName: m.etcdDbSizeRatio,
      statistic: "Maximum",
      comparison: "GreaterThanThreshold",
      threshold: 0.8,
      periodSeconds: 300,
      evaluationPeriods: 2,
      treatMissingData: "missing",
      description:
        "etcd database above 80% of its quota: at 100% etcd refuses writes (NOSPACE). Compact and defrag.",
    },
    {
      kind: "etcd-wal-fsync",
      severity: "warning",
      metricName: m.etcdWalFsyncP99Seconds,
      statistic: "Maximum",
      comparison: "GreaterThanThreshold",
      threshold: 0.5,
      evaluationPeriods: 10,
      treatMissingData: "missing",
      description: "etcd WAL fsync p99 above 0.5 s for 10 minutes: the etcd volume is too slow.",
    },
    {
      kind: "etcd-backend-commit",
      severity: "warning",
      metricName: m.etcdBackendCommitP99Seconds,
      statistic: "Maximum",
      comparison: "GreaterThanThreshold",
      threshold: 0.25,
      evaluationPeriods: 10,
      treatMissingData: "missing",
      description: "etcd backend commit p99 above 0.25 s for 10 minutes: the etcd volume is too slow.",
    },
    {
      kind: "apiserver-not-ready",
      severity: "critical",
      metricName: m.apiServerReady,
      statistic: "Minimum",
      comparison: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: 3,
      treatMissingData: "missing",
      description: "the master's kube-apiserver fails /readyz.",
    },
    {
      kind: "controller-manager-unhealthy",
      severity: "warning",
      metricName: m.controllerManagerHealthy,
      statistic: "Minimum",
      comparison: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: 5,
      treatMissingData: "missing",
      description: "the master's kube-controller-manager fails /healthz.",
    },
    {
      kind: "scheduler-unhealthy",
      severity: "warning",
      metricName: m.schedulerHealthy,
      statistic: "Minimum",
      comparison: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: 5,
      treatMissingData: "missing",
      description: "the master's kube-scheduler fails /healthz.",
    },
    {
      kind: "certificate-expiry",
      severity: "warning",
      metricName: m.certificateDaysLeft,
      statistic: "Minimum",
      comparison: "LessThanThreshold",
      threshold: 14,
      periodSeconds: 3600,
      evaluationPeriods: 1,
      treatMissingData: "missing",
      description: "a kubeadm certificate on the master expires in under 14 days: renewal is not working.",
    },
  ];
}
