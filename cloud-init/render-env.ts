/**
 * `/etc/k8sha/node.env`: the node's settings as shell `KEY='value'` lines, sourced by the
 * entry scripts (`set -a; . /etc/k8sha/node.env`). Only the plain values of the boot
 * config go here, and the fixed facts of base/ the scripts use (ports, paths, tag keys, ...),
 * so bash declares none of them; anything secret is fetched from SSM at boot.
 */

import { ADDON_LABEL, ADDON_NAMESPACE } from "../base/addons";
import {
  bootLogPrefix,
  ETCD_METRICS_PORT,
  HEALTH_DIMENSIONS,
  HEALTH_METRICS,
  METRICS_NAMESPACE,
} from "../base/healthMetrics";
import { CRI_SOCKET, ETCD_DATA_DIR, ETCD_MOUNT_POINT, NODE_ENV_PATH } from "../base/nodePaths";
import { API_PORT, ETCD_CLIENT_PORT, ETCD_PEER_PORT } from "../base/ports";
import { addonsParameterName, etcdClusterMarkerUnder, parameterNamesUnder } from "../base/ssmPaths";
import { TAG_BOOT_STATUS, TAG_CLUSTER, TAG_ETCD_MEMBER, TAG_ROLE } from "../base/tags";
import { WORKER_DRAIN } from "../base/workerDrain";
import { configFileEnv, etcdNodeConfigFiles, masterConfigFiles, workerConfigFiles } from "./config-files";
import type { BootRole } from "./roles";
import type {
  BootBundleRef,
  EtcdNodeBootConfig,
  MasterBootConfig,
  NodeBootCommon,
  WorkerBootConfig,
} from "./types";

export { NODE_ENV_PATH };

const ENV_KEY = /^[A-Z][A-Z0-9_]*$/;

/** Single-quote a value for bash: `'` becomes `'\''`. NUL cannot live in a shell variable. */
export function shellQuote(value: string): string {
  if (value.includes("\0")) throw new Error("node.env values cannot contain NUL");
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** `KEY='value'` lines in insertion order; keys are checked so a typo cannot inject shell. */
export function renderEnvFile(env: Record<string, string>): string {
  const lines = Object.entries(env).map(([key, value]) => {
    if (!ENV_KEY.test(key)) throw new Error(`invalid node.env key: ${key}`);
    return `${key}=${shellQuote(value)}`;
  });
  return `# Written by the k8sha renderer (cloud-init). Not secret: user-data is readable.\n${lines.join("\n")}\n`;
}

/** The etcd member's facts: its ports, the tag keys it finds its peers by. */
const ETCD_MEMBER_FACTS = {
  ETCD_CLIENT_PORT: String(ETCD_CLIENT_PORT),
  ETCD_PEER_PORT: String(ETCD_PEER_PORT),
  ETCD_METRICS_PORT: String(ETCD_METRICS_PORT),
  TAG_CLUSTER,
  TAG_ROLE,
  TAG_ETCD_MEMBER,
};
/**
 * The metrics every node may publish (report.sh: BootFailed on a failed boot), in the one
 * namespace its IAM policy allows, with the dimension names the alarms are built on.
 */
const NODE_METRIC_FACTS = {
  METRICS_NAMESPACE,
  K8SHA_M_BOOT_FAILED: HEALTH_METRICS.bootFailed,
  K8SHA_D_CLUSTER: HEALTH_DIMENSIONS.cluster,
  K8SHA_D_ROLE: HEALTH_DIMENSIONS.role,
};
/** The health timer's metric and zone-dimension names (lib/health.sh defaults from these). */
const HEALTH_METRIC_FACTS = {
  K8SHA_D_ZONE: HEALTH_DIMENSIONS.zone,
  K8SHA_M_HAS_LEADER: HEALTH_METRICS.etcdHasLeader,
  K8SHA_M_HEALTHY_MEMBERS: HEALTH_METRICS.etcdHealthyMembers,
  K8SHA_M_LEADER_CHANGES: HEALTH_METRICS.etcdLeaderChanges15m,
  K8SHA_M_DB_RATIO: HEALTH_METRICS.etcdDbSizeRatio,
  K8SHA_M_WAL_FSYNC: HEALTH_METRICS.etcdWalFsyncP99Seconds,
  K8SHA_M_BACKEND_COMMIT: HEALTH_METRICS.etcdBackendCommitP99Seconds,
  K8SHA_M_API_READY: HEALTH_METRICS.apiServerReady,
  K8SHA_M_KCM: HEALTH_METRICS.controllerManagerHealthy,
  K8SHA_M_SCHEDULER: HEALTH_METRICS.schedulerHealthy,
  K8SHA_M_CERT_DAYS: HEALTH_METRICS.certificateDaysLeft,
};
/** The worker-drain handler's facts (masters run it): the hook it completes and its bounds. */
const WORKER_DRAIN_FACTS = {
  WORKER_DRAIN_HOOK: WORKER_DRAIN.hookName,
  WORKER_DRAIN_HEARTBEAT_SECONDS: String(WORKER_DRAIN.heartbeatTimeoutSeconds),
  WORKER_DRAIN_TIMEOUT_SECONDS: String(WORKER_DRAIN.drainTimeoutSeconds),
};
/** The add-on applier's facts (masters run it): where add-on objects live, the label naming their add-on. */
const ADDON_FACTS = { ADDON_NAMESPACE, ADDON_LABEL };
const ROLE_FACTS: Record<BootRole, Record<string, string>> = {
  master: { ...ETCD_MEMBER_FACTS, ...HEALTH_METRIC_FACTS, ...WORKER_DRAIN_FACTS, ...ADDON_FACTS },
  worker: {},
  etcd: ETCD_MEMBER_FACTS,
};

/**
 * The fixed facts of base/ a role's scripts read (docs/boot.md "node.env"). Tests that run the
 * libraries alone take them from here too.
 */
export function nodeFacts(role: BootRole): Record<string, string> {
  return {
    API_PORT: String(API_PORT),
    CRI_SOCKET,
    TAG_BOOT_STATUS,
    ...NODE_METRIC_FACTS,
    ...ROLE_FACTS[role],
  };
}

function commonEnv(
  role: BootRole,
  cfg: NodeBootCommon & { bootBundle: BootBundleRef },
): Record<string, string> {
  return {
    K8SHA_ROLE: role,
    CLUSTER_NAME: cfg.clusterName,
    AWS_REGION: cfg.region,
    AWS_DEFAULT_REGION: cfg.region,
    KUBERNETES_VERSION: cfg.kubernetesVersion,
    API_ENDPOINT: cfg.apiEndpoint,
    SSM_PREFIX: cfg.ssmPrefix,
    POD_CIDR: cfg.podCidr,
    SERVICE_CIDR: cfg.serviceCidr,
    ...bootEnv(role, cfg.clusterName, cfg.bootBundle),
  };
}

/** Where the etcd leader's snapshots go (empty values: backups off). */
function backupEnv(backup: MasterBootConfig["backup"]): Record<string, string> {
  return {
    BACKUP_BUCKET: backup?.bucket ?? "",
    BACKUP_PREFIX: backup?.prefix ?? "",
    BACKUP_INTERVAL_MINUTES: backup ? String(backup.intervalMinutes) : "",
    BACKUP_KMS_KEY_ARN: backup?.kmsKeyArn ?? "",
  };
}

/** The bundle the bootstrap fetches, where a failed boot reports, and the role's fixed facts. */
function bootEnv(role: BootRole, clusterName: string, bundle: BootBundleRef): Record<string, string> {
  return {
    // Read by bootstrap.sh: the bundle to download and the only sha256 it may have.
    BOOT_BUNDLE_BUCKET: bundle.bucket,
    BOOT_BUNDLE_KEY: bundle.key,
    BOOT_BUNDLE_SHA256: bundle.sha256,
    // Read by report.sh: a failed boot's log tail goes to <prefix><instance-id>.log in the
    // cluster bucket, the bundles' bucket (components/bootBundle.ts).
    BOOT_LOG_BUCKET: bundle.bucket,
    BOOT_LOG_PREFIX: bootLogPrefix(clusterName, role),
    ...nodeFacts(role),
  };
}

/**
 * The master's side of etcd. Stacked: its member's volume, stable address and data dir.
 * External: only the topology (master-boot.sh then runs lib/stateless-master.sh) and its stable
 * address; no volume, no member, no data dir. Stacked keeps exactly its keys of before.
 */
function masterEtcdEnv(cfg: MasterBootConfig): Record<string, string> {
  if (cfg.externalEtcd) {
    if (cfg.etcdVolumeId !== undefined)
      throw new Error("master: etcdVolumeId must be absent with externalEtcd (a master holds no etcd data)");
    const { endpoints, version, releaseSha256 } = cfg.externalEtcd;
    if (!/^[0-9a-f]{64}$/.test(releaseSha256))
      throw new Error(`etcd ${version}: the release sha256 must be 64 lower-case hex digits`);
    return {
      ETCD_TOPOLOGY: "external",
      STABLE_IP: cfg.stableAddress,
      // The etcd nodes as a client sees them, and the release the master's etcdctl comes from.
      ETCD_ENDPOINTS: endpoints.join(","),
      ETCD_MEMBER_COUNT: String(endpoints.length),
      ETCD_VERSION: version,
      ETCD_RELEASE_SHA256: releaseSha256,
    };
  }
  if (!cfg.etcdVolumeId) throw new Error("master: etcdVolumeId is required with stacked etcd");
  return {
    ETCD_VOLUME_ID: cfg.etcdVolumeId,
    STABLE_IP: cfg.stableAddress,
    MEMBER_ADDRESSES: cfg.memberAddresses.join(" "),
    ETCD_MOUNT: ETCD_MOUNT_POINT,
    ETCD_DATA_DIR,
  };
}

/** Every variable master-boot.sh and the master libraries read (documented in docs/boot.md). */
export function masterEnv(cfg: MasterBootConfig): Record<string, string> {
  return {
    ...commonEnv("master", cfg),
    MASTER_INDEX: String(cfg.masterIndex),
    MASTER_COUNT: String(cfg.masterCount),
    AVAILABILITY_ZONE: cfg.availabilityZone,
    ...masterEtcdEnv(cfg),
    INIT_MARKER: parameterNamesUnder(cfg.ssmPrefix).initializedMarker,
    ...configFileEnv(masterConfigFiles(cfg)),
    CNI_PROVIDER: cfg.cni.provider,
    CNI_VERSION: cfg.cni.version,
    ...backupEnv(cfg.backup),
    // The add-on applier's pointer (JSON AddonManifestPointer); absent until `pulumi up` wrote it.
    ADDONS_PARAMETER: addonsParameterName(cfg.clusterName),
  };
}

/** Every variable worker-boot.sh reads. Labels and taints are in its JoinConfiguration. */
export function workerEnv(cfg: WorkerBootConfig): Record<string, string> {
  return {
    ...commonEnv("worker", cfg),
    POOL_NAME: cfg.poolName,
    ...configFileEnv(workerConfigFiles(cfg)),
  };
}

/**
 * Every variable etcd-boot.sh and its libraries read. No Kubernetes settings: an etcd node runs
 * no kubelet and never talks to the API.
 */
export function etcdNodeEnv(cfg: EtcdNodeBootConfig): Record<string, string> {
  if (!/^[0-9a-f]{64}$/.test(cfg.etcdReleaseSha256)) {
    throw new Error(`etcd ${cfg.etcdVersion}: the release sha256 must be 64 lower-case hex digits`);
  }
  return {
    K8SHA_ROLE: "etcd",
    CLUSTER_NAME: cfg.clusterName,
    AWS_REGION: cfg.region,
    AWS_DEFAULT_REGION: cfg.region,
    SSM_PREFIX: cfg.ssmPrefix,
    ...bootEnv("etcd", cfg.clusterName, cfg.bootBundle),
    // The role tag and member the stable address and the volume are scoped to (IAM and the claim).
    NODE_ROLE_TAG: "etcd",
    ETCD_MEMBER: String(cfg.memberIndex),
    ETCD_MEMBER_COUNT: String(cfg.memberCount),
    AVAILABILITY_ZONE: cfg.availabilityZone,
    ETCD_VOLUME_ID: cfg.etcdVolumeId,
    STABLE_IP: cfg.stableAddress,
    MEMBER_ADDRESSES: cfg.memberAddresses.join(" "),
    ETCD_MOUNT: ETCD_MOUNT_POINT,
    ETCD_DATA_DIR,
    ETCD_VERSION: cfg.etcdVersion,
    ETCD_RELEASE_SHA256: cfg.etcdReleaseSha256,
    ETCD_HEARTBEAT_MS: String(cfg.etcd.heartbeatIntervalMs),
    ETCD_ELECTION_MS: String(cfg.etcd.electionTimeoutMs),
    ETCD_QUOTA_BYTES: String(cfg.etcd.quotaBackendGiB * 1024 ** 3),
    ETCD_INIT_MARKER: etcdClusterMarkerUnder(cfg.ssmPrefix),
    ...backupEnv(cfg.backup),
    ...configFileEnv(etcdNodeConfigFiles(cfg)),
  };
}
