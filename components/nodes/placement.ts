import type * as pulumi from "@pulumi/pulumi";
import type { NodeGroupPlacement } from "./nodeGroup";

/**
 * Exactly one instance, pinned to the zone of `subnetId`: the placement of a node that owns
 * zonal state (an etcd volume, a stable address in that subnet). AWS terminates the old
 * instance before launching the new one on rebalancing or maintenance, because the
 * replacement cannot boot until the old instance lets go of the volume.
 */
export function pinnedToZone(subnetId: pulumi.Input<string>): NodeGroupPlacement {
  return {
    minSize: 1,
    maxSize: 1,
    desiredCapacity: 1,
    subnetIds: [subnetId],
    instanceMaintenancePolicy: { minHealthyPercentage: 0, maxHealthyPercentage: 100 },
  };
}
