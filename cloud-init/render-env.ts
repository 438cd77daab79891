/**
 * `/etc/k8sha/node.env`: the node's settings as shell `KEY='value'` lines, sourced by the
 * entry scripts (`set -a; . /etc/k8sha/node.env`). Only the plain values of the boot
 * config go here; anything secret is fetched from SSM at boot.
 */
import { ETCD_DATA_DIR, ETCD_MOUNT_POINT, NODE_ENV_PATH } from "../base/nodePaths";
import { API_PORT } from "../base/ports";
import type { BootBundleRef, MasterBootConfig, NodeBootCommon, WorkerBootConfig } from "./types";

/** Where the ClusterConfiguration lands on masters; kubeadm.sh reads it through KUBEADM_CLUSTER_CONFIG. */
export const KUBEADM_CLUSTER_CONFIG_PATH = "/etc/k8sha/kubeadm-cluster.yaml";
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

function commonEnv(
  role: "master" | "worker",
  cfg: NodeBootCommon & { bootBundle: BootBundleRef },
): Record<string, string> {
  return {
    K8SHA_ROLE: role,
    CLUSTER_NAME: cfg.clusterName,
    AWS_REGION: cfg.region,
    AWS_DEFAULT_REGION: cfg.region,
    KUBERNETES_VERSION: cfg.kubernetesVersion,
    API_ENDPOINT: cfg.apiEndpoint,
    API_PORT: String(API_PORT),
    SSM_PREFIX: cfg.ssmPrefix,
    POD_CIDR: cfg.podCidr,
    SERVICE_CIDR: cfg.serviceCidr,
    // Read by bootstrap.sh: the bundle to download and the only sha256 it may have.
    BOOT_BUNDLE_BUCKET: cfg.bootBundle.bucket,
    BOOT_BUNDLE_KEY: cfg.bootBundle.key,
    BOOT_BUNDLE_SHA256: cfg.bootBundle.sha256,
  };
}

/** Every variable master-boot.sh and the master libraries read (documented in docs/boot.md). */
export function masterEnv(cfg: MasterBootConfig): Record<string, string> {
  return {
    ...commonEnv("master", cfg),
    MASTER_INDEX: String(cfg.masterIndex),
    MASTER_COUNT: String(cfg.masterCount),
    AVAILABILITY_ZONE: cfg.availabilityZone,
    ETCD_VOLUME_ID: cfg.etcdVolumeId,
    STABLE_IP: cfg.stableAddress,
    MEMBER_ADDRESSES: cfg.memberAddresses.join(" "),
    ETCD_MOUNT: ETCD_MOUNT_POINT,
    ETCD_DATA_DIR,
    KUBEADM_CLUSTER_CONFIG: KUBEADM_CLUSTER_CONFIG_PATH,
    CNI_PROVIDER: cfg.cni.provider,
    CNI_VERSION: cfg.cni.version,
    BACKUP_BUCKET: cfg.backup?.bucket ?? "",
    BACKUP_PREFIX: cfg.backup?.prefix ?? "",
    BACKUP_INTERVAL_MINUTES: cfg.backup ? String(cfg.backup.intervalMinutes) : "",
  };
}

/** Labels as kubelet's `--node-labels` value: `k=v,k=v` (sorted, so the output is stable). */
export function nodeLabelsArg(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(",");
}

/** Taints as `key=value:Effect,...`, the format `write_join_config` turns into YAML. */
export function nodeTaintsArg(taints: WorkerBootConfig["taints"]): string {
  return taints.map((t) => `${t.key}=${t.value}:${t.effect}`).join(",");
}

/** Every variable worker-boot.sh reads. */
export function workerEnv(cfg: WorkerBootConfig): Record<string, string> {
  return {
    ...commonEnv("worker", cfg),
    POOL_NAME: cfg.poolName,
    NODE_LABELS: nodeLabelsArg(cfg.labels),
    NODE_TAINTS: nodeTaintsArg(cfg.taints),
  };
}
