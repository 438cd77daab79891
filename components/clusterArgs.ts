/**
 * The Cluster component's args: the cluster spec's input form (config/types.ts), except that
 * zones may be resource outputs. Resolution is the spec's own (config/resolve.ts): the same
 * defaults, rules and messages as a stack file, run once.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { isResolvedSpec, resolveClusterSpec } from "../config/resolve";
import type { ClusterInput, ClusterSpec } from "../config/types";

/**
 * What a caller passes to `Cluster`: a name, a region, and zones (or a zone count); everything
 * else is optional (docs/configuration.md lists every key and default). Example:
 * `new Cluster("prod", { clusterName: "prod", region: "eu-west-1", availabilityZoneCount: 3 })`.
 * A ClusterSpec from `parseConfig` is accepted as it is.
 */
export interface ClusterArgs extends Omit<ClusterInput, "availabilityZones"> {
  /** Zones to use, one master per zone for the first `masters.count` zones; or give `availabilityZoneCount`. */
  availabilityZones?: pulumi.Input<string>[];
}

/** A resolved spec and the zones the cluster is built in. */
export interface ResolvedClusterArgs {
  /** The validated, fully defaulted spec. */
  spec: ClusterSpec;
  /** The given zones (plain or outputs), or the first `availabilityZoneCount` available ones. */
  availabilityZones: pulumi.Input<string>[];
}

/**
 * Resolves `args` (validating and defaulting it unless it is already a resolved spec). Zones
 * given as outputs cannot be checked against the region; only their count is.
 */
export function resolveClusterArgs(args: ClusterArgs, parent?: pulumi.Resource): ResolvedClusterArgs {
  const given = args.availabilityZones;
  const plain = given === undefined || given.every((z): z is string => typeof z === "string");
  const spec = isResolvedSpec(args)
    ? args
    : resolveClusterSpec(
        plain ? args : { ...args, availabilityZones: undefined, availabilityZoneCount: given?.length },
      );
  return { spec, availabilityZones: spec.availabilityZones ?? given ?? lookUpZones(spec, parent) };
}

/** The first `availabilityZoneCount` available zones of the region, failing when it has fewer. */
function lookUpZones(spec: ClusterSpec, parent?: pulumi.Resource): pulumi.Output<string>[] {
  const count = spec.availabilityZoneCount;
  const names = aws.getAvailabilityZonesOutput({ state: "available" }, parent ? { parent } : undefined).names;
  return Array.from({ length: count }, (_, i) =>
    names.apply((all) => {
      if (all.length < count) {
        throw new Error(
          `availabilityZoneCount: region ${spec.region} has ${all.length} available zones, ${count} requested`,
        );
      }
      return all[i];
    }),
  );
}
