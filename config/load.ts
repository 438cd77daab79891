/**
 * The program's only config reader. It takes every stack value at once and validates it
 * before index.ts registers a single resource, so a bad stack fails in `pulumi preview`
 * with every problem listed, not halfway through `pulumi up`.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "./stack";
import type { ClusterSpec } from "./types";

export { ConfigError } from "./errors";
export { parseConfig } from "./stack";

/** Reads this stack's config (`k8s-ha:*` and `aws:region`) and returns it validated and defaulted. */
export function loadConfig(): ClusterSpec {
  return parseConfig(pulumi.runtime.allConfig());
}
