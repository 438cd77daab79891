/**
 * The node builders of components/nodes/ on their own, under Pulumi mocks: they register under
 * the caller's parent (no component of their own, so URNs stay the caller's), and each owns
 * its AWS concern (group, placement, mixed instances, etcd volume, worker role). The dev and
 * prod graphs through Master and WorkerPool are checked in controlplane-graph and workers-stacks.
 */
import * as pulumi from "@pulumi/pulumi";
import { nodeTags } from "../../base/nodeTags";
import { TAG_ETCD_MEMBER, TAG_ROLE } from "../../base/tags";
import { createEtcdVolume } from "../../components/nodes/etcdVolume";
import { workerInstanceRole } from "../../components/nodes/instanceRole";
import { createNodeGroup, groupTags } from "../../components/nodes/nodeGroup";
import { pinnedToZone } from "../../components/nodes/placement";
import { byType, type MockedResource, runWithMocks } from "../support/pki-mocks";

interface Registration {
  type: string;
  name: string;
  parent?: pulumi.Resource;
  retainOnDelete?: boolean;
}
const registrations: Registration[] = [];
const record: pulumi.ResourceTransformation = (a) => {
  registrations.push({
    type: a.type,
    name: a.name,
    parent: a.opts.parent,
    retainOnDelete: a.opts.retainOnDelete,
  });
  return undefined;
};

const tags = nodeTags({
  clusterName: "unit",
  role: "master",
  roleTags: { [TAG_ETCD_MEMBER]: "0" },
  name: "unit-master-0",
});
const launchTemplate = {
  imageId: "ami-1",
  instanceProfileName: "profile",
  securityGroupIds: ["sg-1"],
  userDataBase64: "dXNlcg==",
  rootVolumeGiB: 20,
  ebsKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/ebs",
};

const workerPolicyInputs = {
  clusterName: "unit",
  region: "eu-west-1",
  accountId: "123456789012",
  ssmPrefix: "/k8sha/unit",
  kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k1",
  bootBundle: { bucketArn: "arn:aws:s3:::unit-backups", prefix: "unit/boot/" },
};

let parent: pulumi.ComponentResource;
let resources: MockedResource[];

beforeAll(async () => {
  const run = await runWithMocks(() => {
    parent = new pulumi.ComponentResource("test:index:Role", "role", {}, { transformations: [record] });
    createNodeGroup(
      "single",
      { tags, launchTemplate, placement: pinnedToZone("subnet-a"), healthCheckGraceSeconds: 600 },
      { parent },
    );
    createNodeGroup(
      "mixed",
      {
        tags,
        launchTemplate,
        placement: { minSize: 0, maxSize: 5, desiredCapacity: 2, subnetIds: ["subnet-a", "subnet-b"] },
        mixedInstances: {
          instanceTypes: ["m6i.large", "m5.large"],
          onDemandBaseCapacity: 1,
          spotPercentage: 70,
        },
        healthCheckGraceSeconds: 300,
        groupOnlyTags: { "k8s.io/cluster-autoscaler/enabled": "true" },
      },
      { parent },
    );
    createEtcdVolume(
      "single-etcd",
      {
        clusterName: "unit",
        member: "0",
        availabilityZone: "eu-west-1a",
        volume: { type: "io2", sizeGiB: 20, iops: 3000, throughputMiBps: 125 },
        kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/ebs",
        tags,
      },
      { parent },
    );
    workerInstanceRole("unit-workers-iam", { policy: workerPolicyInputs, tags: { team: "k8s" } }, { parent });
  });
  resources = run.resources;
});

const inputsOf = (name: string) => {
  const found = resources.find((r) => r.name === name);
  if (!found) throw new Error(`${name} not registered`);
  return found.inputs;
};

test("builders register under the caller's parent and add no component of their own", () => {
  const direct = registrations.filter((r) => r.parent === parent).map((r) => r.name);
  expect(direct).toEqual(
    expect.arrayContaining([
      "single-lt",
      "single-asg",
      "mixed-lt",
      "mixed-asg",
      "single-etcd",
      "unit-workers-iam",
    ]),
  );
  // The only component below the caller is the NodeRole the worker role builder is meant to create.
  const components = registrations.filter((r) => r.parent === parent && !r.type.startsWith("aws:"));
  expect(components.map((r) => r.type)).toEqual(["k8sha:iam:NodeRole"]);
});

test("a pinned group: 1/1/1 in one subnet, terminate first, the template's explicit version, EC2 health", () => {
  const asg = inputsOf("single-asg");
  expect(asg).toMatchObject({ minSize: 1, maxSize: 1, desiredCapacity: 1, vpcZoneIdentifiers: ["subnet-a"] });
  expect(asg.instanceMaintenancePolicy).toEqual({ minHealthyPercentage: 0, maxHealthyPercentage: 100 });
  expect(asg.launchTemplate).toEqual({ id: "single-lt-id", version: expect.any(String) });
  expect(asg.mixedInstancesPolicy).toBeUndefined();
  expect(asg).toMatchObject({ healthCheckType: "EC2", healthCheckGracePeriod: 600 });
  expect(asg.tags).toEqual(groupTags(tags));
  expect(inputsOf("single-lt").tags).toEqual(tags);
});

test("a mixed group: no plain template, every type an override, spot share and ASG-only tags", () => {
  const asg = inputsOf("mixed-asg");
  expect(asg.launchTemplate).toBeUndefined();
  expect(asg.mixedInstancesPolicy).toMatchObject({
    instancesDistribution: { onDemandBaseCapacity: 1, onDemandPercentageAboveBaseCapacity: 30 },
    launchTemplate: {
      launchTemplateSpecification: { launchTemplateId: "mixed-lt-id" },
      overrides: [{ instanceType: "m6i.large" }, { instanceType: "m5.large" }],
    },
  });
  const asgTags = asg.tags as { key: string; propagateAtLaunch: boolean }[];
  expect(asgTags.filter((t) => t.propagateAtLaunch).map((t) => t.key)).toEqual(Object.keys(tags));
  expect(asgTags.filter((t) => !t.propagateAtLaunch).map((t) => t.key)).toEqual([
    "k8s.io/cluster-autoscaler/enabled",
  ]);
});

test("etcd volume: encrypted, named for its member, no throughput off gp3, kept on delete by default", () => {
  const volume = inputsOf("single-etcd");
  expect(volume).toMatchObject({ encrypted: true, availabilityZone: "eu-west-1a", type: "io2", iops: 3000 });
  expect(volume.throughput).toBeUndefined();
  expect(volume.tags).toEqual({ ...tags, Name: "unit-etcd-0" });
  expect(registrations.find((r) => r.name === "single-etcd")?.retainOnDelete).toBe(true);
});

test("worker instance role: one NodeRole with the worker policy, tagged as the worker role", () => {
  const [role] = byType(resources, "aws:iam/role:Role").filter((r) => r.name === "unit-workers-iam-role");
  expect(role?.inputs.description).toBe("k8sha unit workers");
  expect(role?.inputs.tags).toMatchObject({ team: "k8s", "k8sha.io/cluster": "unit", [TAG_ROLE]: "worker" });
});
