/**
 * The metrics masters publish in METRICS_NAMESPACE, shared by the node side (the health and
 * backup timers) and the alarms (components/monitoring). One place so a renamed metric cannot
 * leave an alarm watching nothing: an alarm on a name nobody publishes sits in missing data.
 *
 * Dimensions are the cluster and the zone, never an instance id: a replaced master publishes
 * under the same series, so the alarms built at deploy time keep watching it.
 */
export { METRICS_NAMESPACE } from "./metrics";

/** Dimension names, exactly as the node side passes them to `put-metric-data --dimensions`. */
export const HEALTH_DIMENSIONS = { cluster: "ClusterName", zone: "AvailabilityZone" } as const;

/** Per master, every health-timer run: dimensions ClusterName + AvailabilityZone. */
export const HEALTH_METRICS = {
  /** 1 when the local etcd member sees a leader (etcd_server_has_leader), else 0. */
  etcdHasLeader: "EtcdHasLeader",
  /** Members answering their health endpoint, as seen from this master. */
  etcdHealthyMembers: "EtcdHealthyMembers",
  /** Increase of etcd_server_leader_changes_seen_total over the last 15 minutes. */
  etcdLeaderChanges15m: "EtcdLeaderChanges15m",
  /** etcd_mvcc_db_total_size_in_bytes / etcd_server_quota_backend_bytes (0..1). */
  etcdDbSizeRatio: "EtcdDbSizeRatio",
  /** p99 of etcd_disk_wal_fsync_duration_seconds, in seconds. */
  etcdWalFsyncP99Seconds: "EtcdWalFsyncP99Seconds",
  /** p99 of etcd_disk_backend_commit_duration_seconds, in seconds. */
  etcdBackendCommitP99Seconds: "EtcdBackendCommitP99Seconds",
  /** 1 when the local kube-apiserver answers /readyz with 200, else 0. */
  apiServerReady: "ApiServerReady",
  /** 1 when the local kube-controller-manager answers /healthz with 200, else 0. */
  controllerManagerHealthy: "ControllerManagerHealthy",
  /** 1 when the local kube-scheduler answers /healthz with 200, else 0. */
  schedulerHealthy: "SchedulerHealthy",
  /** Whole days until the earliest kubeadm certificate on this master expires. */
  certificateDaysLeft: "CertificateDaysLeft",
  /** 1 when a node's boot failed (published by the boot's failure path; any role). */
  bootFailed: "BootFailed",
} as const;

/**
 * Published by the backup timer (cloud-init/lib/etcd-backup.sh `etcd_backup_metric`) with the
 * ClusterName dimension only: one leader uploads per interval, whichever zone it is in.
 */
export const BACKUP_METRICS = {
  succeeded: "EtcdBackupSucceeded",
  failed: "EtcdBackupFailed",
} as const;

export type HealthMetricName = (typeof HEALTH_METRICS)[keyof typeof HEALTH_METRICS];
export type BackupMetricName = (typeof BACKUP_METRICS)[keyof typeof BACKUP_METRICS];

/** Dimensions of a per-master health metric. */
export function healthDimensions(clusterName: string, zone: string): Record<string, string> {
  return { [HEALTH_DIMENSIONS.cluster]: clusterName, [HEALTH_DIMENSIONS.zone]: zone };
}

/** Dimensions of a backup metric. */
export function backupDimensions(clusterName: string): Record<string, string> {
  return { [HEALTH_DIMENSIONS.cluster]: clusterName };
}

/** etcd's quorum for `members` voters: floor(n/2)+1. */
export function etcdQuorum(members: number): number {
  return Math.floor(members / 2) + 1;
}
