import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { Cluster } from "./components/cluster";
import type { ClusterConfig } from "./config/types";

/** The zones to use: the explicit list, or the first N available zones of the region. */
function resolveZones(cfg: ClusterConfig): pulumi.Input<string>[] {
  if (cfg.availabilityZones) return cfg.availabilityZones;
  const names = aws.getAvailabilityZonesOutput({ state: "available" }).names;
  return Array.from({ length: cfg.availabilityZoneCount }, (_, i) =>
    names.apply((all) => {
      if (all.length < cfg.availabilityZoneCount) {
        throw new Error(
          `availabilityZoneCount: region ${cfg.region} has ${all.length} available zones, ${cfg.availabilityZoneCount} requested`,
        );
      }
      return all[i];
    }),
  );
}

/** Builds the cluster from validated config and returns the stack outputs. */
export function buildCluster(cfg: ClusterConfig): Record<string, pulumi.Input<unknown>> {
  const cluster = new Cluster(cfg.clusterName, {
    clusterName: cfg.clusterName,
    region: cfg.region,
    availabilityZones: resolveZones(cfg),
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
  });
  return cluster.outputs;
}
