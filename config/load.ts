// PLACEHOLDER until the config helper lands the real loader.
import * as pulumi from "@pulumi/pulumi";
import * as D from "../components/defaults";
import type { ClusterConfig } from "./types";

export function loadConfig(): ClusterConfig {
  const c = new pulumi.Config("k8s-ha");
  const zones = c.getObject<string[]>("availabilityZones");
  const net = c.getObject<Record<string, string>>("network") ?? {};
  const masters = c.getObject<Record<string, unknown>>("masters") ?? {};
  return {
    clusterName: c.require("clusterName"),
    region: new pulumi.Config("aws").require("region"),
    availabilityZones: zones,
    availabilityZoneCount: zones?.length ?? 3,
    kubernetesVersion: D.DEFAULT_KUBERNETES_VERSION,
    network: { ...D.NETWORK_DEFAULTS, ...net } as ClusterConfig["network"],
    api: { ...D.API_DEFAULTS, allowedCidrs: [...D.API_DEFAULTS.allowedCidrs] },
    masters: { ...D.MASTER_DEFAULTS, ...masters } as ClusterConfig["masters"],
    etcd: { ...D.ETCD_DEFAULTS, volume: { ...D.ETCD_DEFAULTS.volume } },
    workerPools: [],
    leaderElection: { ...D.LEADER_ELECTION_DEFAULTS },
    backup: { ...D.BACKUP_DEFAULTS },
    cni: { provider: "calico", version: D.CNI_VERSIONS.calico },
    readinessGate: { ...D.READINESS_GATE_DEFAULTS },
    tags: {},
  };
}
