/**
 * The Cluster component fills omitted args from components/defaults.ts and validates them with
 * the stack-config rules (config/clusterArgs.ts), so a reusing project writes only what differs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterArgs } from "../../components/cluster";
import {
  CNI_VERSIONS,
  ETCD_DEFAULTS,
  MASTER_DEFAULTS,
  WORKER_POOL_DEFAULTS,
} from "../../components/defaults";
import { resolveClusterArgs } from "../../config/clusterArgs";

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
