/**
 * The add-on roles' permission documents (components/iam/addonPolicies), judged by the test
 * evaluator against resources tagged the way the project and the add-ons tag them: the etcd
 * volumes stay out of every add-on's reach, each add-on reaches only this cluster's resources
 * of its own kind, and none of them reaches IAM, parameters, buckets or (but the CSI driver,
 * on one key) KMS.
 */
import { EBS_CSI_VOLUME_TAG } from "../../base/addons";
import { autoscalerTags } from "../../base/autoscaler";
import { nodeTags } from "../../base/nodeTags";
import { clusterOwnershipTag, TAG_ETCD_MEMBER } from "../../base/tags";
import {
  cloudControllerManagerPolicy,
  clusterAutoscalerPolicy,
  csiVolumeTags,
  EBS_KMS_ACTIONS,
  ebsCsiDriverPolicy,
} from "../../components/iam/addonPolicies";
import type { PolicyDocument } from "../../components/iam/policyDocument";
import { grantsAction, grantsService, isAllowed, type Request } from "../support/iam-evaluate";
import {
  addonScope,
  clusterVpcId,
  ebsKmsKeyArn,
  instance,
  kmsKeyArn,
  scope,
  tagContext,
  volumeA,
  volumeB,
} from "../support/iamFixtures";

const ccm = cloudControllerManagerPolicy({ ...addonScope, vpcId: clusterVpcId });
const csi = ebsCsiDriverPolicy({ ...addonScope, ebsKmsKeyArn });
const autoscaler = clusterAutoscalerPolicy(addonScope);
const ADDONS: [string, PolicyDocument][] = [
  ["cloud-controller-manager", ccm],
  ["ebs-csi-driver", csi],
  ["cluster-autoscaler", autoscaler],
];
const can = (doc: PolicyDocument, request: Request) => isAllowed([doc], request);

// --- EC2 resources, tagged as the components tag them ---------------------------------------
const resourceTags = (tags: Record<string, string>) => tagContext("aws:ResourceTag", tags);
const requestTags = (tags: Record<string, string>) => tagContext("aws:RequestTag", tags);

/** An etcd volume's tags as master.ts + etcdVolume.ts build them (user tags from the config). */
const etcdVolumeTags = (userTags: Record<string, string> = { team: "infra" }) => ({
  ...nodeTags({
    clusterName: "demo",
    tags: userTags,
    role: "master",
    roleTags: { [TAG_ETCD_MEMBER]: "0" },
    name: "demo-master-0",
  }),
  Name: "demo-etcd-0",
});
/** What the driver writes on a volume it creates (`--extra-tags`, `--k8s-tag-cluster-id`). */
const csiVolume = (cluster: string) => ({
  ...csiVolumeTags(cluster),
  ...clusterOwnershipTag(cluster),
  CSIVolumeName: "pvc-0123",
});
const workerInstance = (cluster: string) =>
  nodeTags({
    clusterName: cluster,
    role: "worker",
    roleTags: { "k8sha.io/pool": "general" },
    name: `${cluster}-general`,
  });
const otherCsiVolume = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-cccc";
const snapshot = "arn:aws:ec2:eu-west-1::snapshot/snap-0123";

/** AttachVolume/DetachVolume are authorised on the volume AND on the instance. */
const canAttach = (
  doc: PolicyDocument,
  action: string,
  volume: [string, Record<string, string>],
  onto: Record<string, string>,
) =>
  can(doc, { action, resource: volume[0], context: resourceTags(volume[1]) }) &&
  can(doc, { action, resource: instance, context: resourceTags(onto) });

test("the etcd volume fixture carries the real identity tags", () => {
  expect(etcdVolumeTags()).toMatchObject({
    "kubernetes.io/cluster/demo": "owned",
    "k8sha.io/cluster": "demo",
    "k8sha.io/role": "master",
    "k8sha.io/etcd-member": "0",
  });
});

describe.each(ADDONS)("%s and an etcd volume", (_name, doc) => {
  // With the driver's own tag among the user tags too: the role tag still keeps it out.
  describe.each([
    ["as tagged", etcdVolumeTags()],
    ["even with a user tag equal to the driver's", etcdVolumeTags({ [EBS_CSI_VOLUME_TAG]: "true" })],
  ])("%s", (_case, tags) => {
    const onEtcd = (action: string, context: Record<string, string | string[]> = {}) =>
      can(doc, { action, resource: volumeA, context: { ...resourceTags(tags), ...context } });

    test("can not attach or detach it, to any node of the cluster", () => {
      for (const action of ["ec2:AttachVolume", "ec2:DetachVolume"]) {
        expect(canAttach(doc, action, [volumeA, tags], workerInstance("demo"))).toBe(false);
        expect(onEtcd(action)).toBe(false);
      }
    });

    test("can not modify, delete or snapshot it, nor delete or restore a snapshot carrying its tags", () => {
      for (const action of ["ec2:ModifyVolume", "ec2:DeleteVolume", "ec2:CreateSnapshot"])
        expect(onEtcd(action)).toBe(false);
      // A snapshot that copied the volume's tags (e.g. by a lifecycle policy).
      for (const action of ["ec2:DeleteSnapshot", "ec2:CreateVolume"])
        expect(can(doc, { action, resource: snapshot, context: resourceTags(tags) })).toBe(false);
    });

    test("can not re-tag it into the driver's reach or out of the cluster", () => {
      const attempts: Record<string, string>[] = [
        { [EBS_CSI_VOLUME_TAG]: "true" },
        { "k8sha.io/cluster": "other" },
        { "k8sha.io/role": "worker" },
        { team: "data" },
      ];
      for (const add of attempts)
        for (const action of ["ec2:CreateTags", "ec2:DeleteTags"])
          expect(onEtcd(action, { ...requestTags(add), "aws:TagKeys": Object.keys(add) })).toBe(false);
    });
  });
});

describe("EBS CSI driver volumes", () => {
  const own: [string, Record<string, string>] = [volumeB, csiVolume("demo")];
  const others: [string, Record<string, string>] = [otherCsiVolume, csiVolume("other")];

  test("attaches and detaches its own volumes to this cluster's nodes only", () => {
    for (const action of ["ec2:AttachVolume", "ec2:DetachVolume"]) {
      expect(canAttach(csi, action, own, workerInstance("demo"))).toBe(true);
      expect(canAttach(csi, action, own, workerInstance("other"))).toBe(false);
      expect(canAttach(csi, action, others, workerInstance("demo"))).toBe(false);
      expect(canAttach(csi, action, others, workerInstance("other"))).toBe(false);
    }
  });

  test("modifies, snapshots and deletes its own volumes, not another cluster's", () => {
    for (const action of ["ec2:ModifyVolume", "ec2:DeleteVolume", "ec2:CreateSnapshot"]) {
      expect(can(csi, { action, resource: own[0], context: resourceTags(own[1]) })).toBe(true);
      expect(can(csi, { action, resource: others[0], context: resourceTags(others[1]) })).toBe(false);
    }
    const snapshotOf = (cluster: string) => resourceTags(csiVolume(cluster));
    expect(can(csi, { action: "ec2:DeleteSnapshot", resource: snapshot, context: snapshotOf("demo") })).toBe(
      true,
    );
    expect(can(csi, { action: "ec2:DeleteSnapshot", resource: snapshot, context: snapshotOf("other") })).toBe(
      false,
    );
  });

  test("creates a volume only with both request tags of this cluster", () => {
    const create = (tags: Record<string, string>) =>
      can(csi, { action: "ec2:CreateVolume", resource: volumeB, context: requestTags(tags) });
    expect(create(csiVolume("demo"))).toBe(true);
    expect(create({})).toBe(false);
    expect(create({ CSIVolumeName: "pvc-0123" })).toBe(false);
    expect(create({ [EBS_CSI_VOLUME_TAG]: "true" })).toBe(false);
    expect(create({ "k8sha.io/cluster": "demo" })).toBe(false);
    expect(create(csiVolume("other"))).toBe(false);
  });

  test("tags on create only with this cluster's tags; later only user keys of its own volumes", () => {
    const tag = (context: Record<string, string | string[]>, resource = volumeB) =>
      can(csi, { action: "ec2:CreateTags", resource, context });
    const onCreate = { "ec2:CreateAction": "CreateVolume" };
    expect(tag({ ...onCreate, ...requestTags(csiVolume("demo")) })).toBe(true);
    expect(tag({ ...onCreate, ...requestTags(csiVolume("other")) })).toBe(false);
    // No create action: an existing volume, judged by its own tags and the keys written.
    const existing = (keys: string[], tags = csiVolume("demo")) => ({
      ...resourceTags(tags),
      "aws:TagKeys": keys,
    });
    expect(tag(existing(["team"]))).toBe(true);
    expect(tag(existing(["team"], csiVolume("other")))).toBe(false);
    for (const key of [EBS_CSI_VOLUME_TAG, "k8sha.io/cluster", "k8sha.io/role", "kubernetes.io/cluster/demo"])
      expect(tag(existing(["team", key]))).toBe(false);
    // Without any tag key the key check would hold vacuously: refused.
    expect(tag(resourceTags(csiVolume("demo")))).toBe(false);
  });

  test("uses the EBS key only, only through EC2, grants only for AWS resources", () => {
    const viaEc2 = { "kms:ViaService": `ec2.${scope.region}.amazonaws.com` };
    const kms = (action: string, resource: string, context: Record<string, string>) =>
      can(csi, { action, resource, context });
    for (const action of EBS_KMS_ACTIONS) {
      expect(kms(action, ebsKmsKeyArn, viaEc2)).toBe(true);
      expect(kms(action, kmsKeyArn, viaEc2)).toBe(false);
      expect(kms(action, ebsKmsKeyArn, {})).toBe(false);
      expect(kms(action, ebsKmsKeyArn, { "kms:ViaService": `s3.${scope.region}.amazonaws.com` })).toBe(false);
    }
    const forResource = { "kms:GrantIsForAWSResource": "true" };
    expect(kms("kms:CreateGrant", ebsKmsKeyArn, { ...viaEc2, ...forResource })).toBe(true);
    expect(kms("kms:CreateGrant", ebsKmsKeyArn, viaEc2)).toBe(false);
    expect(kms("kms:CreateGrant", kmsKeyArn, { ...viaEc2, ...forResource })).toBe(false);
    expect(kms("kms:CreateGrant", ebsKmsKeyArn, forResource)).toBe(false);
    for (const action of [
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:ScheduleKeyDeletion",
      "kms:PutKeyPolicy",
    ])
      expect(kms(action, ebsKmsKeyArn, viaEc2)).toBe(false);
  });
});

describe("cluster-autoscaler", () => {
  const asg = (name: string) =>
    `arn:aws:autoscaling:${scope.region}:${scope.accountId}:autoScalingGroup:0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0:autoScalingGroupName/${name}`;
  const groupContext = (tags: Record<string, string>) => tagContext("autoscaling:ResourceTag", tags);
  /** A worker pool's ASG tags: the nodes' tags plus the group-only autoscaler tags (workerPool.ts). */
  const workerGroup = (cluster: string) =>
    groupContext({
      ...workerInstance(cluster),
      ...autoscalerTags(cluster, { "k8sha.io/pool": "general" }, []),
    });
  /** A master's ASG tags (master.ts: the node tags, no group-only tags). */
  const masterTags = nodeTags({
    clusterName: "demo",
    role: "master",
    roleTags: { [TAG_ETCD_MEMBER]: "0" },
    name: "demo-master-0",
  });
  const scale = ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"];

  test.each(scale)("%s: this cluster's worker groups only", (action) => {
    const on = (name: string, context: Record<string, string>) =>
      can(autoscaler, { action, resource: asg(name), context });
    expect(on("demo-general-asg", workerGroup("demo"))).toBe(true);
    expect(on("demo-master-0", groupContext(masterTags))).toBe(false);
    // A master group tagged for discovery by mistake is still a master group.
    expect(on("demo-master-0", groupContext({ ...masterTags, ...autoscalerTags("demo", {}, []) }))).toBe(
      false,
    );
    expect(on("other-general-asg", workerGroup("other"))).toBe(false);
    // The discovery tags alone, without the project's worker identity, are not enough.
    expect(on("loose-asg", groupContext(autoscalerTags("demo", {}, [])))).toBe(false);
    expect(on("demo-general-asg", resourceTags(workerInstance("demo")))).toBe(false);
  });

  test("reads groups and templates; changes nothing else", () => {
    for (const action of ["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeLaunchTemplateVersions"])
      expect(can(autoscaler, { action, resource: "*" })).toBe(true);
    for (const action of [
      "autoscaling:UpdateAutoScalingGroup",
      "autoscaling:CreateOrUpdateTags",
      "ec2:TerminateInstances",
    ])
      expect(
        can(autoscaler, { action, resource: asg("demo-general-asg"), context: workerGroup("demo") }),
      ).toBe(false);
  });
});

describe.each(ADDONS)("%s", (name, doc) => {
  const statements = doc.Statement.map((s) => ({ ...s }));

  test("grants nothing of IAM, S3 or SSM parameters", () => {
    for (const s of statements) {
      expect(grantsService(s, "iam")).toBe(false);
      expect(grantsService(s, "s3")).toBe(false);
      expect(grantsService(s, "ssm")).toBe(false);
      expect(grantsAction(s, "ssm:GetParameter")).toBe(false);
    }
  });

  test("KMS only for the CSI driver", () => {
    const kms = statements.filter((s) => grantsService(s, "kms"));
    if (name === "ebs-csi-driver") {
      expect(kms.length).toBeGreaterThan(0);
      for (const s of kms) expect(s.Resource).toEqual([ebsKmsKeyArn]);
    } else expect(kms).toEqual([]);
  });

  test("every unscoped statement is read-only", () => {
    for (const s of doc.Statement.filter((u) => u.Resource === "*"))
      for (const action of s.Action) expect(action).toMatch(/^[a-z0-9-]+:(Describe|Get)[A-Za-z]+$/);
  });
});

test("the service checks can fail", () => {
  expect(grantsService({ Effect: "Allow", Action: ["IAM:PassRole"] }, "iam")).toBe(true);
  expect(grantsService({ Effect: "Allow", Action: ["*"] }, "s3")).toBe(true);
  expect(grantsService({ Effect: "Allow", Action: ["s*:Get*"] }, "ssm")).toBe(true);
  expect(grantsService({ Effect: "Allow", NotAction: ["ec2:*"] }, "kms")).toBe(true);
  expect(grantsService({ Effect: "Allow", NotAction: ["kms:*"] }, "kms")).toBe(false);
  expect(grantsService({ Effect: "Deny", Action: ["kms:*"] }, "kms")).toBe(false);
});
