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
 * An SDK sends a value as an Output when it is secret or depends on another resource, at any depth
 * (a secret address in `monitoring.emailSubscriptions`, a subnet id from another stack). These Args
 * are plain by design (names, user-data, subscriptions made at construction), so say which key it
 * is, as a path, instead of failing later with a message about types.
 */
function rejectOutputs(value: unknown, path: string): void {
  if (pulumi.Output.isInstance(value)) {
    throw new Error(
      `Cluster: "${path}" must be a plain value known at construction, not a resource output or secret`,
    );
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      rejectOutputs(item, `${path}[${i}]`);
    });
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value))
      rejectOutputs(item, path === "" ? key : `${path}.${key}`);
  }
}

/** Validated, fully defaulted spec; throws ConfigError listing every problem. */
export function resolveProviderArgs(args: ClusterArgs): ClusterSpec {
  rejectOutputs(args, "");
  return resolveClusterSpec(args);
}
