import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { Cluster } from "./components/cluster";
import type { ClusterOutputs } from "./components/clusterOutputs";
import { clusterArgsFromConfig } from "./config/clusterArgs";
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
export function buildCluster(cfg: ClusterConfig): ClusterOutputs {
  return new Cluster(cfg.clusterName, clusterArgsFromConfig(cfg, resolveZones(cfg))).outputs;
}
