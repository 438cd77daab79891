/**
 * The dedicated etcd node's policy (components/iam/etcdNodePolicy.ts), judged by the evaluator:
 * its own volume onto its own member's etcd instance, its own address, the etcd CA and the state
 * tree of SSM, its bundle, its boot log; nothing of the masters' Kubernetes side.
 */
import { etcdNodePolicyDocument } from "../../components/iam/etcdNodePolicy";
import type { PolicyDocument } from "../../components/iam/policyDocument";
import { isAllowed, type Request } from "../support/iam-evaluate";
import {
  bootBundle,
  bucketArn,
  instance,
  kmsKeyArn,
  masterTags,
  ours,
  param,
  prefix,
  scope,
  ssmManagedCore,
  viaSsm,
  volumeA,
  volumeB,
  workerTags,
} from "../support/iamFixtures";

const memberOne = {
  ...scope,
  clusterName: "demo",
  etcdVolumeArn: volumeA,
  stableAddress: { subnetId: "subnet-0b", member: "1" },
  ssmPrefix: prefix,
  kmsKeyArn,
  bootBundle,
};
const etcd = etcdNodePolicyDocument({ ...memberOne, backup: { bucketArn, prefix: "/etcd/demo" } });
const etcdWithoutBackup = etcdNodePolicyDocument(memberOne);

/** Instance or interface tags as EC2 presents them to IAM, for etcd node `member`. */
const etcdTags = (member: string, cluster = "demo") => ({
  "aws:ResourceTag/k8sha.io/cluster": cluster,
  "aws:ResourceTag/k8sha.io/role": "etcd",
  "aws:ResourceTag/k8sha.io/etcd-member": member,
});
const can = (request: Request, docs: PolicyDocument[] = [etcd]) => isAllowed(docs, request);

describe("etcd volume", () => {
  test.each(["ec2:AttachVolume", "ec2:DetachVolume"])(
    "%s: its own volume, onto its own member's etcd node only",
    (action) => {
      expect(can({ action, resource: volumeA, context: ours })).toBe(true);
      expect(can({ action, resource: instance, context: etcdTags("1") })).toBe(true);
      // Another member's volume; its own volume once it is not tagged for this cluster.
      expect(can({ action, resource: volumeB, context: ours })).toBe(false);
      expect(
        can({ action, resource: volumeA, context: { "aws:ResourceTag/k8sha.io/cluster": "other" } }),
      ).toBe(false);
      // The instance side: another member, a master of the same member number, a worker, another cluster.
      expect(can({ action, resource: instance, context: etcdTags("0") })).toBe(false);
      expect(can({ action, resource: instance, context: masterTags("1") })).toBe(false);
      expect(can({ action, resource: instance, context: workerTags })).toBe(false);
      expect(can({ action, resource: instance, context: etcdTags("1", "other") })).toBe(false);
    },
  );

  test("describes volumes, instances and interfaces; creates or deletes no volume", () => {
    for (const action of ["ec2:DescribeVolumes", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces"]) {
      expect(can({ action, resource: "*" })).toBe(true);
    }
    for (const action of ["ec2:CreateVolume", "ec2:DeleteVolume", "ec2:ModifyVolume"]) {
      expect(can({ action, resource: volumeA, context: ours })).toBe(false);
    }
  });
});

describe("stable address", () => {
  const eni = "arn:aws:ec2:eu-west-1:123456789012:network-interface/eni-0123";
  const own = { ...etcdTags("1"), "ec2:Subnet": "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0b" };
  const assign = (context: Record<string, string>, resource = eni) =>
    can({ action: "ec2:AssignPrivateIpAddresses", resource, context });

  test("only onto its own interface: its subnet, this cluster, role etcd, its member", () => {
    expect(assign(own)).toBe(true);
    expect(assign({ ...own, "aws:ResourceTag/k8sha.io/etcd-member": "0" })).toBe(false);
    expect(assign({ ...own, "aws:ResourceTag/k8sha.io/cluster": "other" })).toBe(false);
    expect(assign({ ...own, "ec2:Subnet": "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0a" })).toBe(
      false,
    );
    expect(assign(own, instance)).toBe(false);
  });

  test("never a master's interface, even of the same member number in the same subnet", () => {
    expect(assign({ ...own, ...masterTags("1") })).toBe(false);
    expect(assign({ ...own, ...workerTags, "aws:ResourceTag/k8sha.io/etcd-member": "1" })).toBe(false);
  });
});

test("tags only its boot status, only on its own member's etcd instances", () => {
  const tag = (context: Record<string, string>, keys = ["k8sha.io/boot-status"]) =>
    can({ action: "ec2:CreateTags", resource: instance, context: { ...context, "aws:TagKeys": keys } });
  expect(tag(etcdTags("1"))).toBe(true);
  expect(tag(etcdTags("1"), ["k8sha.io/boot-status", "k8sha.io/role"])).toBe(false);
  expect(tag(etcdTags("0"))).toBe(false);
  expect(tag(masterTags("1"))).toBe(false);
  expect(tag(workerTags)).toBe(false);
});

describe("SSM parameters", () => {
  const read = (path: string, docs: PolicyDocument[] = [etcd]) =>
    ["ssm:GetParameter", "ssm:GetParameters"].map((action) => can({ action, resource: param(path) }, docs));

  test("reads the etcd CA certificate and key, and decrypts them through SSM only", () => {
    for (const file of ["pki/etcd-ca.crt", "pki/etcd-ca.key"]) {
      expect(read(file)).toEqual([true, true]);
      expect(can({ action: "kms:Decrypt", resource: kmsKeyArn, context: viaSsm(file) })).toBe(true);
      const direct = { ...viaSsm(file), "kms:ViaService": "s3.eu-west-1.amazonaws.com" };
      expect(can({ action: "kms:Decrypt", resource: kmsKeyArn, context: direct })).toBe(false);
    }
  });

  test("reads the state tree, writes only the etcd markers: never the masters' init marker", () => {
    expect(read("state/etcd-initialised")).toEqual([true, true]);
    expect(read("state/initialised")).toEqual([true, true]);
    for (const path of ["state/etcd-initialised", "state/etcd-initialised-member-2"]) {
      expect([path, can({ action: "ssm:PutParameter", resource: param(path) })]).toEqual([path, true]);
    }
    for (const path of [
      "state/initialised",
      "pki/etcd-ca.key",
      "join/token",
      "addons/manifest",
      "validation",
    ]) {
      expect([path, can({ action: "ssm:PutParameter", resource: param(path) })]).toEqual([path, false]);
    }
    expect(can({ action: "ssm:DeleteParameter", resource: param("state/etcd-initialised") })).toBe(false);
  });

  test("no other PKI file, no join value, nothing outside the cluster, even with the managed core policy", () => {
    const forbidden = [
      "pki/ca.key",
      "pki/ca.crt",
      "pki/sa.key",
      "pki/front-proxy-ca.key",
      "join/token",
      "join/discovery-hash",
      "addons/manifest",
    ];
    for (const docs of [[etcd], [etcd, ssmManagedCore]]) {
      for (const path of forbidden) expect([path, read(path, docs)]).toEqual([path, [false, false]]);
      const outside = "arn:aws:ssm:eu-west-1:123456789012:parameter/other/db-password";
      expect(can({ action: "ssm:GetParameter", resource: outside }, docs)).toBe(false);
      // Still its own parameters with the managed policy beside it.
      expect(read("pki/etcd-ca.key", docs)).toEqual([true, true]);
    }
    for (const path of ["pki/ca.key", "join/token"]) {
      expect(can({ action: "kms:Decrypt", resource: kmsKeyArn, context: viaSsm(path) })).toBe(false);
    }
  });
});

describe("S3", () => {
  const sseS3 = { "s3:x-amz-server-side-encryption": "AES256" };
  test("its boot bundle and its boot log under boot-logs/etcd/ only", () => {
    expect(can({ action: "s3:GetObject", resource: `${bucketArn}/demo/boot/etcd-0123abcd.sh` })).toBe(true);
    const log = (role: string) => `${bucketArn}/demo/boot-logs/${role}/i-0123.log`;
    expect(can({ action: "s3:PutObject", resource: log("etcd"), context: sseS3 })).toBe(true);
    expect(can({ action: "s3:PutObject", resource: log("master"), context: sseS3 })).toBe(false);
    expect(can({ action: "s3:PutObject", resource: log("etcd") })).toBe(false);
  });

  test("snapshots with backups on; none, and no KMS through S3, with backups off", () => {
    const snapshot = `${bucketArn}/etcd/demo/all/snap.db`;
    const viaS3 = {
      "kms:ViaService": "s3.eu-west-1.amazonaws.com",
      "kms:EncryptionContext:aws:s3:arn": bucketArn,
    };
    expect(can({ action: "s3:PutObject", resource: snapshot })).toBe(true);
    expect(can({ action: "kms:GenerateDataKey", resource: kmsKeyArn, context: viaS3 })).toBe(true);
    expect(can({ action: "s3:PutObject", resource: snapshot }, [etcdWithoutBackup])).toBe(false);
    expect(
      can({ action: "kms:GenerateDataKey", resource: kmsKeyArn, context: viaS3 }, [etcdWithoutBackup]),
    ).toBe(false);
  });

  test("no add-on manifests (the masters' applier reads them, not etcd)", () => {
    expect(can({ action: "s3:GetObject", resource: `${bucketArn}/demo/addons/manifest-0123.yaml` })).toBe(
      false,
    );
  });
});

test("nothing of the masters' Kubernetes side: no worker lifecycle, no validate reads", () => {
  const groups = "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:x:autoScalingGroupName/demo-w";
  const context = {
    "autoscaling:ResourceTag/k8sha.io/cluster": "demo",
    "autoscaling:ResourceTag/k8sha.io/role": "worker",
  };
  expect(can({ action: "autoscaling:CompleteLifecycleAction", resource: groups, context })).toBe(false);
  expect(can({ action: "autoscaling:DescribeAutoScalingGroups", resource: "*" })).toBe(false);
  expect(can({ action: "elasticloadbalancing:DescribeTargetHealth", resource: "*" })).toBe(false);
  expect(can({ action: "cloudwatch:DescribeAlarms", resource: "*" })).toBe(false);
});

test("Session Manager and metrics in the project's namespace only; no Action wildcard", () => {
  expect(can({ action: "ssmmessages:OpenDataChannel", resource: instance })).toBe(true);
  const metric = (ns: string) =>
    can({ action: "cloudwatch:PutMetricData", resource: "*", context: { "cloudwatch:namespace": ns } });
  expect(metric("K8sHA")).toBe(true);
  expect(metric("AWS/EC2")).toBe(false);
  for (const s of etcd.Statement) for (const a of s.Action) expect(a).not.toMatch(/\*/);
  for (const s of etcd.Statement) if (s.NotResource) expect(s.Effect).toBe("Deny");
});
