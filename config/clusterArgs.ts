import type * as pulumi from "@pulumi/pulumi";
import type { ClusterArgs } from "../components/cluster";
import type { ClusterConfig } from "./types";

/**
 * The Cluster component's args for validated config and the zones to use: the one mapping
 * shared by program.ts and the multi-language wrapper (provider/cluster.ts).
 */
export function clusterArgsFromConfig(
  cfg: ClusterConfig,
  availabilityZones: pulumi.Input<string>[],
): ClusterArgs {
  return {
    clusterName: cfg.clusterName,
    region: cfg.region,
    availabilityZones,
    kubernetesVersion: cfg.kubernetesVersion,
    network: cfg.network,
    api: cfg.api,
    masters: cfg.masters,
    etcd: cfg.etcd,
    workerPools: cfg.workerPools,
    leaderElection: cfg.leaderElection,
    backup: cfg.backup,
    cni: cfg.cni,
    readinessGate: cfg.readinessGate,
    tags: cfg.tags,
  };
}
