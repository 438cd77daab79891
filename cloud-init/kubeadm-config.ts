/**
 * The cluster-wide kubeadm ClusterConfiguration (API kubeadm.k8s.io/v1beta4, kubeadm >= 1.31).
 * It is identical on every master, so it is rendered here and shipped in user-data. The
 * node-specific Init/JoinConfiguration (node name, advertise address, token) is written at
 * boot by `write_init_config` / `write_join_config` in `lib/kubeadm.sh`.
 */
import { stringify } from "yaml";
import { KUBEADM_API_VERSION } from "../base/kubeadm";
import { ETCD_DATA_DIR } from "../base/nodePaths";
import { API_PORT } from "../base/ports";
import type { MasterBootConfig } from "./types";

/** v1beta4 replaced the string maps of `extraArgs` by lists that allow duplicate flags. */
export interface ExtraArg {
  name: string;
  value: string;
}

const GIB = 1024 ** 3;

function toArgs(args: Record<string, string>): ExtraArg[] {
  return Object.entries(args).map(([name, value]) => ({ name, value }));
}

/** `1.34.2` -> 34. */
export function kubernetesMinor(version: string): number {
  const match = /^v?1\.(\d+)\.\d+$/.exec(version);
  if (!match) throw new Error(`kubernetesVersion must be 1.MINOR.PATCH, got ${version}`);
  return Number(match[1]);
}

/** The seeds' 15s/10s/2s timings, applied to both kube-controller-manager and kube-scheduler. */
function leaderElectionArgs(cfg: MasterBootConfig): ExtraArg[] {
  const le = cfg.leaderElection;
  return toArgs({
    "leader-elect": "true",
    "leader-elect-lease-duration": `${le.leaseDurationSeconds}s`,
    "leader-elect-renew-deadline": `${le.renewDeadlineSeconds}s`,
    "leader-elect-retry-period": `${le.retryPeriodSeconds}s`,
  });
}

/**
 * Hairpin: kubeadm already points kube-controller-manager and kube-scheduler at the local
 * API server (their kubeconfigs use the node's advertise address). The kubelet of a master
 * uses the local API server with the `ControlPlaneKubeletLocalMode` gate, alpha in 1.31-1.32
 * (so it is switched on here) and on by default from 1.33. The NLB additionally has
 * client-IP preservation off, so a master routed to itself through the NLB still works.
 */
function featureGates(minor: number): Record<string, boolean> | undefined {
  return minor < 33 ? { ControlPlaneKubeletLocalMode: true } : undefined;
}

/** The ClusterConfiguration document as a plain object (tests and the renderer share it). */
export function kubeadmClusterConfiguration(cfg: MasterBootConfig): Record<string, unknown> {
  const minor = kubernetesMinor(cfg.kubernetesVersion);
  const sans = [...new Set([cfg.apiEndpoint, ...cfg.extraCertSans])];
  const gates = featureGates(minor);
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: "ClusterConfiguration",
    clusterName: cfg.clusterName,
    kubernetesVersion: `v${cfg.kubernetesVersion.replace(/^v/, "")}`,
    controlPlaneEndpoint: `${cfg.apiEndpoint}:${API_PORT}`,
    networking: { podSubnet: cfg.podCidr, serviceSubnet: cfg.serviceCidr },
    apiServer: { certSANs: sans },
    controllerManager: { extraArgs: leaderElectionArgs(cfg) },
    scheduler: { extraArgs: leaderElectionArgs(cfg) },
    etcd: {
      local: {
        dataDir: ETCD_DATA_DIR,
        extraArgs: toArgs({
          "heartbeat-interval": String(cfg.etcd.heartbeatIntervalMs),
          "election-timeout": String(cfg.etcd.electionTimeoutMs),
          "quota-backend-bytes": String(cfg.etcd.quotaBackendGiB * GIB),
          // Off in etcd 3.4, on from 3.5: without it a survivor that ignores the first vote
          // (CheckQuorum) splits the election and a lost leader costs up to twice as long
          // (docs/benchmarks.md). Pinned so the behaviour does not depend on the etcd image.
          "pre-vote": "true",
        }),
      },
    },
    ...(gates ? { featureGates: gates } : {}),
  };
}

/** The YAML written to `/etc/k8sha/kubeadm-cluster.yaml` on masters. */
export function renderKubeadmClusterConfig(cfg: MasterBootConfig): string {
  return stringify(kubeadmClusterConfiguration(cfg), { lineWidth: 0 });
}
