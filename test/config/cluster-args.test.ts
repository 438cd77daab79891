/**
 * The Cluster component fills omitted args from config/defaults.ts and validates them with the
 * cluster spec's resolver (config/resolve.ts), so a reusing project writes only what differs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterArgs } from "../../components/cluster";
import { resolveClusterArgs } from "../../components/clusterArgs";
import { CNI_VERSIONS, ETCD_DEFAULTS, MASTER_DEFAULTS, WORKER_POOL_DEFAULTS } from "../../config/defaults";
import { isResolvedSpec, resolveClusterSpec } from "../../config/resolve";
import { parseConfig } from "../../config/stack";
import { applyOverrides, readStackConfig } from "../../synth/mockRuntime";
import { EXISTING_VPC } from "../support/existingVpc";

const minimal: ClusterArgs = {
  clusterName: "lib",
  region: "eu-west-1",
  availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
};

test("omitted args take the project defaults", () => {
  const { spec: args, availabilityZones } = resolveClusterArgs(minimal);
  expect(args.masters).toEqual(MASTER_DEFAULTS);
  expect(args.etcd.volume).toEqual(ETCD_DEFAULTS.volume);
  expect(args.cni).toEqual({ provider: "calico", version: CNI_VERSIONS.calico });
  expect(args.workerPools).toHaveLength(1);
  expect(args.workerPools[0]).toMatchObject({ name: "general", minSize: WORKER_POOL_DEFAULTS.minSize });
  expect(availabilityZones).toEqual(minimal.availabilityZones);
});

test("a partial group keeps its other fields' defaults", () => {
  const { spec: args } = resolveClusterArgs({
    ...minimal,
    etcd: { volume: { iops: 6000 } },
    cni: { provider: "cilium" },
  });
  expect(args.etcd.volume).toEqual({ ...ETCD_DEFAULTS.volume, iops: 6000 });
  expect(args.etcd.heartbeatIntervalMs).toBe(ETCD_DEFAULTS.heartbeatIntervalMs);
  expect(args.cni).toEqual({ provider: "cilium", version: CNI_VERSIONS.cilium });
});

test("a bad value is refused by key, value and rule, as in a stack file", () => {
  expect(() => resolveClusterArgs({ ...minimal, masters: { count: 2 } })).toThrow(
    /k8s-ha:masters\.count: 2 is invalid: must be odd/,
  );
  expect(() =>
    resolveClusterArgs({ ...minimal, availabilityZones: ["us-east-1a", "eu-west-1b", "eu-west-1c"] }),
  ).toThrow(/k8s-ha:availabilityZones/);
});

test("zones given as Outputs are checked by count against the masters", () => {
  const zones = ["a", "b", "c"].map((z) => pulumi.output(`eu-west-1${z}`));
  expect(() => resolveClusterArgs({ ...minimal, availabilityZones: zones, masters: { count: 5 } })).toThrow(
    /k8s-ha:masters\.count: 5 is invalid/,
  );
  const resolved = resolveClusterArgs({ ...minimal, availabilityZones: zones });
  expect(resolved.availabilityZones).toBe(zones);
  expect(resolved.spec.availabilityZoneCount).toBe(3);
});

test("a misspelled key from an untyped caller is refused, not ignored", () => {
  const typo = { ...minimal, masters: { cuont: 5 } } as unknown as ClusterArgs;
  expect(() => resolveClusterArgs(typo)).toThrow(/unknown key "cuont"/);
});

test("a misspelled top-level key is refused too, not dropped", () => {
  const typo = { ...minimal, worker: [] } as unknown as ClusterArgs;
  expect(() => resolveClusterArgs(typo)).toThrow(/k8s-ha:worker: \[\] is invalid: unknown key "worker"/);
});

describe("a resolved spec is validated once: handed on (program.ts -> Cluster) it is used as it is", () => {
  test.each([
    ["dev", {}],
    ["prod", {}],
    ["dev with an existing VPC", { network: { existingVpc: EXISTING_VPC } }],
  ])("%s", (label, overrides) => {
    const stack = label.split(" ")[0];
    const spec = parseConfig(applyOverrides(readStackConfig(stack), overrides));
    expect(isResolvedSpec(spec)).toBe(true);
    expect(resolveClusterArgs(spec).spec).toBe(spec);
    // Resolving a plain copy of it validates again and gives the same spec.
    const copy: unknown = JSON.parse(JSON.stringify(spec));
    expect(isResolvedSpec(copy)).toBe(false);
    expect(resolveClusterSpec(copy)).toEqual(spec);
  });
});

test("a resolved spec is frozen, so it cannot change after it was validated", () => {
  const spec = parseConfig(readStackConfig("dev"));
  expect(() => {
    (spec.masters as { count: number }).count = 2;
  }).toThrow(TypeError);
  expect(spec.masters.count).toBe(3);
});

test("network.vpcCidr that contradicts existingVpc.vpcCidr is refused", () => {
  const existingVpc = EXISTING_VPC;
  expect(() => resolveClusterArgs({ ...minimal, network: { existingVpc, vpcCidr: "10.60.0.0/16" } })).toThrow(
    /k8s-ha:network\.vpcCidr: "10\.60\.0\.0\/16" is invalid: leave it out with existingVpc/,
  );
});

test("a zone count next to a zone list must be the list's length", () => {
  expect(resolveClusterArgs({ ...minimal, availabilityZoneCount: 3 }).spec.availabilityZoneCount).toBe(3);
  expect(() => resolveClusterArgs({ ...minimal, availabilityZoneCount: 2 })).toThrow(
    /k8s-ha:availabilityZoneCount: 2 is invalid: the number of availabilityZones \(3\)/,
  );
});
