/**
 * Shared by the etcd config tests: the dev stack with overrides, every problem it is refused
 * for, or the spec it resolves to when it is accepted.
 */
import { ConfigError } from "../../config/errors";
import { parseConfig } from "../../config/stack";
import type { ClusterSpec } from "../../config/types";
import { applyOverrides, type ConfigOverrides } from "../../synth/mockRuntime";
import { devConfig } from "../support/configRefusal";

/** Every problem's message when dev with `overrides` is refused; fails the test if it is accepted. */
export function problemsOf(overrides: ConfigOverrides): string[] {
  try {
    parseConfig(applyOverrides(devConfig, overrides));
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).message.split("\n").slice(1);
  }
  throw new Error("the stack was accepted");
}

/** The spec dev with `overrides` resolves to; fails the test, with every problem, if it is refused. */
export function acceptedSpec(overrides: ConfigOverrides): ClusterSpec {
  return parseConfig(applyOverrides(devConfig, overrides));
}

/** A well-formed digest that no etcd release has: for a release config/etcd-versions.ts pins none for. */
export const DIGEST = "0123456789abcdef".repeat(4);

/** An accepted etcd release under dev's Kubernetes minor that config/etcd-versions.ts pins no digest for. */
export const UNPINNED_RELEASE = "3.6.4";
