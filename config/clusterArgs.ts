import type * as pulumi from "@pulumi/pulumi";
import type { ClusterArgs, ResolvedClusterArgs } from "../components/cluster";
import { CONFIG_NAMESPACE, parseConfig } from "./parse";
import type { ClusterConfig } from "./types";

/**
 * The Cluster component's resolved args for validated config and the zones to use: the one
 * mapping shared by program.ts, the Cluster component and the multi-language wrapper.
 */
export function clusterArgsFromConfig(
  cfg: ClusterConfig,
  availabilityZones: pulumi.Input<string>[],
): ResolvedClusterArgs {
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

/** Args keys that stack config carries as JSON text; the rest are plain strings. */
const JSON_KEYS = [
  "availabilityZones",
  "network",
  "api",
  "masters",
  "etcd",
  "workerPools",
  "leaderElection",
  "backup",
  "cni",
  "readinessGate",
  "tags",
] as const;

/** Any args object shaped like the stack config (component args, multi-language args). */
export type ConfigShapedArgs = { clusterName?: unknown; region?: unknown; kubernetesVersion?: unknown } & {
  [K in (typeof JSON_KEYS)[number]]?: unknown;
};

/**
 * Args as `project:key -> string`, the form Pulumi hands stack config over in, so component
 * callers get exactly the validation, defaults and messages a stack file gets.
 */
export function toConfigValues(args: ConfigShapedArgs): Record<string, string> {
  const values: Record<string, string> = {};
  if (args.region !== undefined) values["aws:region"] = String(args.region);
  if (args.clusterName !== undefined) values[`${CONFIG_NAMESPACE}:clusterName`] = String(args.clusterName);
  if (args.kubernetesVersion !== undefined) {
    values[`${CONFIG_NAMESPACE}:kubernetesVersion`] = String(args.kubernetesVersion);
  }
  for (const key of JSON_KEYS) {
    const value = args[key];
    // JSON.stringify drops undefined members, so omitted nested fields take the defaults.
    if (value !== undefined && value !== null) values[`${CONFIG_NAMESPACE}:${key}`] = JSON.stringify(value);
  }
  return values;
}

/**
 * Fills every omitted Cluster arg from components/defaults.ts and validates the lot with the
 * stack-config rules (throws ConfigError naming `k8s-ha:<key>`, the value and what is allowed).
 * Zones given as Outputs cannot be checked against the region; only their count is.
 */
export function resolveClusterArgs(args: ClusterArgs): ResolvedClusterArgs {
  const plainZones = args.availabilityZones.every((z): z is string => typeof z === "string");
  const values = toConfigValues({
    ...args,
    availabilityZones: plainZones ? args.availabilityZones : undefined,
  });
  if (!plainZones) {
    values[`${CONFIG_NAMESPACE}:availabilityZoneCount`] = String(args.availabilityZones.length);
  }
  return clusterArgsFromConfig(parseConfig(values), args.availabilityZones);
}
