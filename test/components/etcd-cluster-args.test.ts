/** EtcdCluster refuses bad arguments before any member registers, naming the field. */
import * as pulumi from "@pulumi/pulumi";
import type { EtcdClusterArgs } from "../../components/etcd/etcdCluster";

const registered: string[] = [];
beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push(args.type);
        return { id: `${args.name}-id`, state: { ...args.inputs, latestVersion: 1 } };
      },
      call: (args) => args.inputs,
    },
    "k8s-ha",
    "unit",
    false,
  );
});

const valid: EtcdClusterArgs = {
  clusterName: "unit",
  members: 3,
  availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
  privateSubnetIds: ["subnet-a", "subnet-b", "subnet-c"],
  privateSubnetCidrs: ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
  etcdVolume: { type: "gp3", sizeGiB: 20, iops: 3000, throughputMiBps: 125 },
  instanceType: "m7i.large",
  rootVolumeGiB: 20,
  securityGroupIds: ["sg-etcd"],
  ssmPrefix: "/k8sha/unit",
  kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
  boot: {
    region: "eu-west-1",
    etcdVersion: "3.6.5",
    etcdReleaseSha256: "ab".repeat(32),
    etcd: { heartbeatIntervalMs: 100, electionTimeoutMs: 1000, quotaBackendGiB: 8 },
  },
  bootBundle: {
    bucket: "b",
    key: `unit/boot/etcd-${"0".repeat(64)}.sh`,
    sha256: "0".repeat(64),
    bucketArn: "arn:aws:s3:::b",
  },
  bootPrerequisites: [],
  tags: {},
};

const build = async (name: string, change: Partial<EtcdClusterArgs>) => {
  const { EtcdCluster } = await import("../../components/etcd/etcdCluster");
  return () => new EtcdCluster(name, { ...valid, ...change });
};

test.each([2, 4, 0, -1, 1.5])("members %p is refused, naming the field", async (members) => {
  expect(await build(`m${members}`, { members })).toThrow(
    /EtcdCluster: members must be a positive odd integer/,
  );
});

test("too few zones, subnets or CIDRs for the members are refused, naming each short field", async () => {
  const make = await build("short", {
    members: 5,
    privateSubnetCidrs: ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24", "10.0.4.0/24"],
  });
  expect(make).toThrow(/EtcdCluster: 5 members .*availabilityZones has 3, privateSubnetIds has 3$/);
});

test("a subnet too small for the third /28 is refused, naming the field, the member and /26", async () => {
  const make = await build("small", { privateSubnetCidrs: ["10.0.0.0/24", "10.0.1.0/27", "10.0.2.0/24"] });
  expect(make).toThrow(
    /EtcdCluster: privateSubnetCidrs\[1\] \(member 1\): etcd node subnet 10\.0\.1\.0\/27 .*\/26/,
  );
});

test("two members in one zone are refused", async () => {
  const make = await build("zones", { availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1a"] });
  expect(make).toThrow(/EtcdCluster: availabilityZones must be distinct per member, eu-west-1a repeats/);
});

test("the valid arguments build, and no refused attempt registered a member", async () => {
  expect(registered.filter((t) => t === "k8sha:etcd:EtcdNode")).toEqual([]);
  const cluster = (await build("ok", {}))();
  expect(cluster.clientEndpoints).toEqual([
    "https://10.0.0.36:2379",
    "https://10.0.1.37:2379",
    "https://10.0.2.38:2379",
  ]);
  expect(cluster.nodes).toHaveLength(3);
  // The mock does see members register (so the empty list above means something).
  await new Promise((resolve) => pulumi.all(cluster.asgNames).apply(resolve));
  expect(registered.filter((t) => t === "k8sha:etcd:EtcdNode")).toHaveLength(3);
});
