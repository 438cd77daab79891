/**
 * The Cluster component fills omitted args from components/defaults.ts and validates them with
 * the stack-config rules (config/clusterArgs.ts), so a reusing project writes only what differs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterArgs } from "../../components/cluster";
import { clusterArgsFromConfig, resolveClusterArgs } from "../../config/clusterArgs";
import { CNI_VERSIONS, ETCD_DEFAULTS, MASTER_DEFAULTS, WORKER_POOL_DEFAULTS } from "../../config/defaults";
import { parseConfig } from "../../config/parse";
import { applyOverrides, readStackConfig } from "../../synth/mockRuntime";

const minimal: ClusterArgs = {
  clusterName: "lib",
  region: "eu-west-1",
  availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
};

test("omitted args take the project defaults", () => {
  const args = resolveClusterArgs(minimal);
  expect(args.masters).toEqual(MASTER_DEFAULTS);
  expect(args.etcd.volume).toEqual(ETCD_DEFAULTS.volume);
  expect(args.cni).toEqual({ provider: "calico", version: CNI_VERSIONS.calico });
  expect(args.workerPools).toHaveLength(1);
  expect(args.workerPools[0]).toMatchObject({ name: "general", minSize: WORKER_POOL_DEFAULTS.minSize });
  expect(args.availabilityZones).toBe(minimal.availabilityZones);
});

test("a partial group keeps its other fields' defaults", () => {
  const args = resolveClusterArgs({
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
  expect(resolveClusterArgs({ ...minimal, availabilityZones: zones }).availabilityZones).toBe(zones);
});

test("a misspelled key from an untyped caller is refused, not ignored", () => {
  const typo = { ...minimal, masters: { cuont: 5 } } as unknown as ClusterArgs;
  expect(() => resolveClusterArgs(typo)).toThrow(/unknown key "cuont"/);
});

describe("validated config validates again unchanged (program.ts -> Cluster)", () => {
  const byo = {
    vpcId: "vpc-0abc",
    vpcCidr: "10.50.0.0/16",
    publicSubnetIds: ["subnet-01", "subnet-02", "subnet-03"],
    privateSubnetIds: ["subnet-11", "subnet-12", "subnet-13"],
    privateSubnetCidrs: ["10.50.0.0/20", "10.50.16.0/20", "10.50.32.0/20"],
  };
  test.each([
    ["dev", {}],
    ["prod", {}],
    ["dev with an existing VPC", { network: { existingVpc: byo } }],
  ])("%s", (label, overrides) => {
    const stack = label.split(" ")[0];
    const cfg = parseConfig(applyOverrides(readStackConfig(stack), overrides));
    const once = clusterArgsFromConfig(cfg, cfg.availabilityZones ?? []);
    expect(resolveClusterArgs(once)).toEqual(once);
  });
});

test("network.vpcCidr that contradicts existingVpc.vpcCidr is refused", () => {
  const existingVpc = {
    vpcId: "vpc-0abc",
    vpcCidr: "10.50.0.0/16",
    publicSubnetIds: ["subnet-01", "subnet-02", "subnet-03"],
    privateSubnetIds: ["subnet-11", "subnet-12", "subnet-13"],
    privateSubnetCidrs: ["10.50.0.0/20", "10.50.16.0/20", "10.50.32.0/20"],
  };
  expect(() => resolveClusterArgs({ ...minimal, network: { existingVpc, vpcCidr: "10.60.0.0/16" } })).toThrow(
    /k8s-ha:network\.vpcCidr: "10\.60\.0\.0\/16" is invalid: leave it out with existingVpc/,
  );
});
