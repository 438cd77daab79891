/**
 * Turns the multi-language Args into the stack's validated ClusterConfig by handing them to
 * the same validator `pulumi config` values go through (`parseConfig`), so one set of rules,
 * defaults (components/defaults.ts) and error messages serves TypeScript stacks and SDK callers.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, parseConfig } from "../config/parse";
import type { ClusterConfig } from "../config/types";
import type { ClusterArgs } from "./args";

/** Top-level Args keys that parseConfig reads as JSON text; the rest are plain strings. */
const JSON_KEYS = [
  "availabilityZones",
  "network",
  "api",
  "masters",
  "etcd",
  "workerPools",
  "cni",
  "readinessGate",
  "tags",
] as const;

/**
 * An SDK sends a value as an Output when it is secret or depends on another resource. These
 * Args are plain by design (names, user-data), so say which key it is instead of failing later.
 */
function rejectOutputs(args: ClusterArgs): void {
  for (const [key, value] of Object.entries(args)) {
    if (pulumi.Output.isInstance(value)) {
      throw new Error(
        `Cluster: "${key}" must be a plain value known at construction, not a resource output or secret`,
      );
    }
  }
}

/** The Args as `project:key -> string`, the shape Pulumi hands stack config to parseConfig. */
export function toConfigValues(args: ClusterArgs): Record<string, string> {
  rejectOutputs(args);
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

/** Validated, fully defaulted config; throws ConfigError listing every problem. */
export function toClusterConfig(args: ClusterArgs): ClusterConfig {
  return parseConfig(toConfigValues(args));
}
