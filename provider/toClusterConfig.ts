/**
 * Turns the multi-language Args into the stack's validated ClusterConfig by handing them to
 * the same validator `pulumi config` values go through (`parseConfig`), so one set of rules,
 * defaults (components/defaults.ts) and error messages serves TypeScript stacks and SDK callers.
 */
import * as pulumi from "@pulumi/pulumi";
import { toConfigValues as configValuesOf } from "../config/clusterArgs";
import { parseConfig } from "../config/parse";
import type { ClusterConfig } from "../config/types";
import type { ClusterArgs } from "./args";

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
  return configValuesOf(args);
}

/** Validated, fully defaulted config; throws ConfigError listing every problem. */
export function toClusterConfig(args: ClusterArgs): ClusterConfig {
  return parseConfig(toConfigValues(args));
}
