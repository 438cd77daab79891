/**
 * The multi-language Args resolved by the cluster spec's own resolver (config/resolve.ts), so one
 * set of rules, defaults (config/defaults.ts) and error messages serves stacks, TypeScript callers
 * and SDK callers alike.
 */
import * as pulumi from "@pulumi/pulumi";
import { resolveClusterSpec } from "../config/resolve";
import type { ClusterSpec } from "../config/types";
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

/** Validated, fully defaulted spec; throws ConfigError listing every problem. */
export function resolveProviderArgs(args: ClusterArgs): ClusterSpec {
  rejectOutputs(args);
  return resolveClusterSpec(args);
}
