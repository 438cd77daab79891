/**
 * The metrics masters publish in METRICS_NAMESPACE, shared by the node side (the health and
 * backup timers) and the alarms (components/monitoring). One place so a renamed metric cannot
 * leave an alarm watching nothing: an alarm on a name nobody publishes sits in missing data.
 *
 * Dimensions are the cluster and the zone (BootFailed: the cluster and the role), never an instance id: a replaced master publishes
 * under the same series, so the alarms built at deploy time keep watching it.
 */
export { METRICS_NAMESPACE } from "./metrics";
export { ETCD_METRICS_PORT } from "./ports";

/** Dimension names, exactly as the node side passes them to `put-metric-data --dimensions`. */
export const HEALTH_DIMENSIONS = { cluster: "ClusterName", zone: "AvailabilityZone", role: "Role" } as const;

/**
 * The node roles a failed boot reports under (the Role dimension of BootFailed and the folder of
 * its log): the boot roles of cloud-init/roles.ts, spelled the same. `etcd` (the dedicated etcd
 * nodes) boots only in the external topology.
 */
export const BOOT_FAILURE_ROLES = ["master", "worker", "etcd"] as const;
export type BootFailureRole = (typeof BOOT_FAILURE_ROLES)[number];
/** The roles every topology boots: what a stacked cluster's boot-failure alarms watch. */
export const STACKED_BOOT_FAILURE_ROLES: readonly BootFailureRole[] = ["master", "worker"];

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
  /**
   * 1 when a node's boot failed, published by the boot's failure trap (cloud-init/lib/report.sh)
   * on masters and workers with dimensions ClusterName + Role (bootFailureDimensions).
   */
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

/**
 * Dimensions of BootFailed: the cluster and the node's role, never an instance or a zone, so the
 * two alarms built at deploy time see every failed boot of the role, whichever node it was.
 */
export function bootFailureDimensions(clusterName: string, role: BootFailureRole): Record<string, string> {
  return { [HEALTH_DIMENSIONS.cluster]: clusterName, [HEALTH_DIMENSIONS.role]: role };
}

/**
 * Key prefix (cluster bucket) of the failed boots' log tails of one role: `<cluster>/boot-logs/<role>/`,
 * one object `<instance-id>.log` per node, overwritten by each failed attempt. A role's IAM may
 * put objects under its own role's prefix only.
 */
export function bootLogPrefix(clusterName: string, role: BootFailureRole): string {
  return `${clusterName}/boot-logs/${role}/`;
}

/** etcd's quorum for `members` voters: floor(n/2)+1. */
export function etcdQuorum(members: number): number {
  return Math.floor(members / 2) + 1;
}
