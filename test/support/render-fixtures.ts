/** Realistic boot configs shared by the render/kubeadm tests (values as the prod stack would give). */
import type { BootBundleRef, MasterBootConfig, WorkerBootConfig } from "../../cloud-init/types";

/** A bundle reference as cluster.ts passes it (bucket names are 63 characters at most). */
export function bundleRef(role: "master" | "worker"): BootBundleRef {
  const sha256 = (role === "master" ? "3f" : "a7").repeat(32);
  return {
    bucket: "prod-etcd-backups-20240501120000123400000001",
    key: `prod/boot/${role}-${sha256}.sh`,
    sha256,
  };
}

const common = {
  clusterName: "prod",
  region: "eu-west-1",
  kubernetesVersion: "1.34.2",
  apiEndpoint: "prod-api-0a1b2c3d4e5f6789.elb.eu-west-1.amazonaws.com",
  ssmPrefix: "/k8sha/prod",
  podCidr: "10.244.0.0/16",
  serviceCidr: "10.96.0.0/12",
  // The default (addons.cloudControllerManager.enabled): kubelets run with the external provider.
  cloudControllerManager: true,
};

export function masterConfig(index: number, withBackup: boolean): MasterBootConfig {
  const zone = `eu-west-1${"abc"[index] ?? "a"}`;
  return {
    ...common,
    bootBundle: bundleRef("master"),
    masterIndex: index,
    masterCount: 3,
    availabilityZone: zone,
    etcdVolumeId: `vol-0f${index}e2d3c4b5a69788`,
    stableAddress: `10.64.${index * 16}.${20 + index}`,
    memberAddresses: ["10.64.0.20", "10.64.16.21", "10.64.32.22"],
    etcd: { heartbeatIntervalMs: 250, electionTimeoutMs: 2500, quotaBackendGiB: 4 },
    leaderElection: { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 },
    cni: { provider: "calico", version: "3.30.3" },
    extraCertSans: ["api.prod.example.com"],
    backup: withBackup
      ? { bucket: "prod-etcd-backups-123456", prefix: "prod/etcd/", intervalMinutes: 15 }
      : undefined,
  };
}

export const workerConfig: WorkerBootConfig = {
  ...common,
  bootBundle: bundleRef("worker"),
  poolName: "gpu",
  labels: { "k8sha.io/pool": "gpu", "example.com/team": "ml" },
  taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }],
};
