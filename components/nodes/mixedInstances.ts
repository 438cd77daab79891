import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { WORKER_GROUP_DEFAULTS } from "../tuning";

export interface MixedInstancesArgs {
  /** Instance types the group may launch, first preferred for on-demand. */
  instanceTypes: string[];
  /** Instances always bought on demand before the spot share applies. */
  onDemandBaseCapacity: pulumi.Input<number>;
  /** Percentage (0-100) of capacity above `onDemandBaseCapacity` bought as spot. */
  spotPercentage: number;
}

/** The launch template and version a group launches from. */
export interface LaunchTemplateRef {
  /** Launch template id. */
  id: pulumi.Input<string>;
  /** The explicit template version. */
  version: pulumi.Input<string>;
}

/**
 * A mixed-instances policy over one launch template: on-demand by the order of
 * `instanceTypes`, spot price-capacity-optimized (the pools least likely to be reclaimed, at
 * a fair price), each type an override of the template's own.
 */
export function mixedInstancesPolicy(
  template: LaunchTemplateRef,
  args: MixedInstancesArgs,
): aws.types.input.autoscaling.GroupMixedInstancesPolicy {
  return {
    instancesDistribution: {
      onDemandBaseCapacity: args.onDemandBaseCapacity,
      onDemandPercentageAboveBaseCapacity: 100 - args.spotPercentage,
      onDemandAllocationStrategy: WORKER_GROUP_DEFAULTS.onDemandAllocationStrategy,
      spotAllocationStrategy: WORKER_GROUP_DEFAULTS.spotAllocationStrategy,
    },
    launchTemplate: {
      launchTemplateSpecification: { launchTemplateId: template.id, version: template.version },
      overrides: args.instanceTypes.map((instanceType) => ({ instanceType })),
    },
  };
}
