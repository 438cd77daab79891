/**
 * The WorkerPool and ReadinessGate components built on their own under Pulumi mocks, for the
 * resource options the stack synthesis does not record (ignoreChanges, dependsOn of a
 * standalone gate) and for argument validation.
 */
import * as pulumi from "@pulumi/pulumi";

interface Recorded {
  type: string;
  name: string;
  ignoreChanges?: string[];
  dependsOn?: unknown;
  customTimeouts?: pulumi.CustomTimeouts;
}
const registered: Recorded[] = [];
const record: pulumi.ResourceTransformation = (a) => {
  registered.push({
    type: a.type,
    name: a.name,
    ignoreChanges: a.opts.ignoreChanges,
    dependsOn: a.opts.dependsOn,
    customTimeouts: (a.opts as pulumi.CustomResourceOptions).customTimeouts,
  });
  return undefined;
};

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, latestVersion: 1 } }),
      call: (args) => args.inputs,
    },
    "k8s-ha",
    "unit",
    false,
  );
});

const boot = {
  clusterName: "unit",
  region: "eu-west-1",
  kubernetesVersion: "1.34.2",
  apiEndpoint: "api.example",
  ssmPrefix: "/k8sha/unit",
  podCidr: "10.244.0.0/16",
  serviceCidr: "10.96.0.0/12",
  cloudControllerManager: true,
};

const bootBundle = {
  bucket: "unit-backups",
  key: `unit/boot/worker-${"0".repeat(64)}.sh`,
  sha256: "0".repeat(64),
};

test("WorkerPool: the autoscaler owns desiredCapacity after creation (ignoreChanges)", async () => {
  const { WorkerPool } = await import("../../components/nodes/workerPool");
  const pool = new WorkerPool(
    "unit-general",
    {
      clusterName: "unit",
      poolName: "general",
      subnetIds: ["s-a", "s-b", "s-c"],
      imageId: "ami-1",
      ebsKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/ebs",
      instanceProfileName: "profile",
      securityGroupIds: ["sg-1"],
      boot,
      bootBundle,
    },
    { transformations: [record] },
  );
  await new Promise((resolve) => pool.asgName.apply(resolve));
  const asg = registered.find((r) => r.type === "aws:autoscaling/group:Group");
  expect(asg?.ignoreChanges).toEqual(["desiredCapacity"]);
  expect(registered.find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate")).toBeDefined();
});

test("WorkerPool: spot percentages outside 0-100 and empty type lists are refused", async () => {
  const { WorkerPool } = await import("../../components/nodes/workerPool");
  const base = {
    clusterName: "unit",
    subnetIds: ["s-a"],
    imageId: "ami-1",
    ebsKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/ebs",
    instanceProfileName: "p",
    securityGroupIds: [],
    boot,
    bootBundle,
  };
  expect(() => new WorkerPool("bad-spot", { ...base, poolName: "a", spotPercentage: 101 })).toThrow(
    "spotPercentage must be 0-100",
  );
  expect(() => new WorkerPool("bad-types", { ...base, poolName: "b", instanceTypes: [] })).toThrow(
    "no instance types",
  );
});

test("ReadinessGate: one local command after the given resources, bounded by a custom timeout", async () => {
  const { ReadinessGate, poolSpec } = await import("../../components/readinessGate");
  const lb = new pulumi.ComponentResource("test:index:Lb", "lb");
  new ReadinessGate(
    "gate",
    {
      server: "https://api.example:6443",
      caCertPem: "ca",
      clientCertPem: "cert",
      clientKeyPem: pulumi.secret("key"),
      masterCount: 3,
      pools: [{ name: "general", minReady: 2 }],
      timeoutMinutes: 7,
      waitFor: [lb],
    },
    { transformations: [record] },
  );
  const cmd = registered.find((r) => r.type === "command:local:Command");
  expect(cmd?.dependsOn).toEqual([lb]);
  expect(cmd?.customTimeouts?.create).toBe("12m");
  expect(
    poolSpec([
      { name: "a", minReady: 1 },
      { name: "b", minReady: 0 },
    ]),
  ).toBe("a=1,b=0");
});
