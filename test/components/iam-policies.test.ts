import { secretParameterNames } from "../../base/ssmPaths";
import { masterPolicyDocument, normaliseS3Prefix } from "../../components/iam/policies";
import type { PolicyDocument, PolicyStatement } from "../../components/iam/policyDocument";
import { isAllowed } from "../support/iam-evaluate";
import {
  bootBundle,
  bucketArn,
  instance,
  kmsKeyArn,
  master,
  masterTags,
  ours,
  param,
  prefix,
  scope,
  ssmManagedCore,
  viaSsm,
  volumeA,
  volumeB,
  worker,
  workerTags,
} from "../support/iamFixtures";

describe.each([
  ["master", master, masterTags("0")],
  ["worker", worker, workerTags],
])("%s boot-status tag", (_role, doc, own) => {
  test("tags only k8sha.io/boot-status, only on this cluster's instances of its own identity", () => {
    const tag = (keys: string[], context: Record<string, string> = own) =>
      isAllowed([doc], {
        action: "ec2:CreateTags",
        resource: instance,
        context: { ...context, "aws:TagKeys": keys },
      });
    expect(tag(["k8sha.io/boot-status"])).toBe(true);
    expect(tag(["k8sha.io/boot-status", "k8sha.io/cluster"])).toBe(false);
    expect(tag(["k8sha.io/boot-status"], { ...own, "aws:ResourceTag/k8sha.io/cluster": "other" })).toBe(
      false,
    );
    expect(isAllowed([doc], { action: "ec2:CreateTags", resource: volumeA, context: own })).toBe(false);
  });
});

test("a worker cannot tag a master, a master cannot tag a worker or another member's master", () => {
  const tag = (doc: PolicyDocument, context: Record<string, string>) =>
    isAllowed([doc], {
      action: "ec2:CreateTags",
      resource: instance,
      context: { ...context, "aws:TagKeys": ["k8sha.io/boot-status"] },
    });
  expect(tag(worker, masterTags("0"))).toBe(false);
  expect(tag(master, workerTags)).toBe(false);
  expect(tag(master, masterTags("1"))).toBe(false);
  expect(tag(master, ours)).toBe(false);
});

describe("master policy", () => {
  test("assigns a private address only to its own interface: its subnet, this cluster, its member", () => {
    const eni = "arn:aws:ec2:eu-west-1:123456789012:network-interface/eni-0123";
    const own = {
      "ec2:Subnet": "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0a",
      "aws:ResourceTag/k8sha.io/cluster": "demo",
      "aws:ResourceTag/k8sha.io/role": "master",
      "aws:ResourceTag/k8sha.io/etcd-member": "0",
    };
    const assign = (context: Record<string, string>, resource = eni) =>
      isAllowed([master], { action: "ec2:AssignPrivateIpAddresses", resource, context });
    expect(assign(own)).toBe(true);
    expect(assign({ ...own, "aws:ResourceTag/k8sha.io/etcd-member": "1" })).toBe(false);
    expect(assign({ ...own, "aws:ResourceTag/k8sha.io/role": "worker" })).toBe(false);
    expect(assign({ ...own, "aws:ResourceTag/k8sha.io/cluster": "other" })).toBe(false);
    expect(assign({ ...own, "ec2:Subnet": "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0b" })).toBe(
      false,
    );
    expect(assign(own, instance)).toBe(false);
    expect(isAllowed([worker], { action: "ec2:AssignPrivateIpAddresses", resource: eni, context: own })).toBe(
      false,
    );
  });

  test("attach/detach names exactly one volume ARN, its own, with the cluster tag condition", () => {
    const attach = master.Statement.filter((s) => s.Action.includes("ec2:AttachVolume"));
    const volumes = attach
      .flatMap((s) => (s.Resource === "*" ? ["*"] : (s.Resource ?? [])))
      .filter((r) => !r.includes(":instance/"));
    expect(volumes).toEqual([volumeA]);
    const onVolume = attach.find((s) => s.Sid === "AttachOwnEtcdVolume");
    expect(onVolume?.Condition?.StringEquals).toEqual(ours);
  });

  test("attach works only for its own volume, onto a master of the same member of this cluster", () => {
    for (const action of ["ec2:AttachVolume", "ec2:DetachVolume"]) {
      const can = (resource: string, context: Record<string, string>) =>
        isAllowed([master], { action, resource, context });
      expect(can(volumeA, ours)).toBe(true);
      expect(can(instance, masterTags("0"))).toBe(true);
      expect(can(volumeB, ours)).toBe(false);
      expect(can(volumeA, { "aws:ResourceTag/k8sha.io/cluster": "other" })).toBe(false);
      // The instance side: a worker, another member's master, another cluster, an untagged instance.
      expect(can(instance, workerTags)).toBe(false);
      expect(can(instance, masterTags("1"))).toBe(false);
      expect(can(instance, masterTags("0", "other"))).toBe(false);
      expect(can(instance, ours)).toBe(false);
    }
  });

  test("no Action '*' and Resource '*' only where AWS has no resource-level permissions", () => {
    const all: PolicyStatement[] = [...master.Statement, ...worker.Statement];
    for (const s of all) for (const a of s.Action) expect(a).not.toMatch(/\*/);
    for (const s of all) if (s.NotResource) expect(s.Effect).toBe("Deny");
    const unscoped = all.filter((s) => s.Resource === "*");
    expect(unscoped.map((s) => s.Sid).sort()).toEqual([
      "DescribeAutoScalingGroups",
      "DescribeVolumesAndInstances",
      "PutNodeMetrics",
      "PutNodeMetrics",
      "SessionManager",
      "SessionManager",
      "ValidateReadTargetHealth",
    ]);
    for (const s of unscoped.filter((u) => u.Sid === "SessionManager")) {
      expect(
        s.Action.every((a) => /^(ssm:UpdateInstanceInformation|ssmmessages:|ec2messages:)/.test(a)),
      ).toBe(true);
    }
    const describe = unscoped.find((s) => s.Sid === "DescribeVolumesAndInstances");
    expect(describe?.Action.every((a) => a.startsWith("ec2:Describe"))).toBe(true);
    const metrics = unscoped.find((s) => s.Sid === "PutNodeMetrics");
    expect(metrics?.Condition).toEqual({ StringEquals: { "cloudwatch:namespace": "K8sHA" } });
  });

  test("reads every cluster parameter, writes only under /state, decrypts only via SSM", () => {
    expect(isAllowed([master], { action: "ssm:GetParameter", resource: param("pki/ca.key") })).toBe(true);
    const marker = secretParameterNames("demo").initializedMarker;
    expect(
      isAllowed([master], { action: "ssm:PutParameter", resource: param(marker.slice(prefix.length + 1)) }),
    ).toBe(true);
    expect(isAllowed([master], { action: "ssm:PutParameter", resource: param("pki/ca.key") })).toBe(false);
    expect(
      isAllowed([master], {
        action: "ssm:GetParameter",
        resource: param("pki/ca.key").replace("demo", "prod"),
      }),
    ).toBe(false);
    expect(
      isAllowed([master], { action: "kms:Decrypt", resource: kmsKeyArn, context: viaSsm("pki/ca.key") }),
    ).toBe(true);
    expect(isAllowed([master], { action: "kms:Decrypt", resource: kmsKeyArn })).toBe(false);
    expect(master.Statement.some((s) => s.Action.includes("kms:Encrypt"))).toBe(false);
  });

  test("backups: objects and listing limited to the cluster prefix; without a bucket only the boot bundle", () => {
    expect(normaliseS3Prefix("/etcd/demo")).toBe("etcd/demo/");
    const obj = (key: string) =>
      isAllowed([master], { action: "s3:PutObject", resource: `${bucketArn}/${key}` });
    expect(obj("etcd/demo/snap-1.db")).toBe(true);
    expect(obj("etcd/demo-other/snap-1.db")).toBe(false);
    const list = (p: string) =>
      isAllowed([master], { action: "s3:ListBucket", resource: bucketArn, context: { "s3:prefix": p } });
    expect(list("etcd/demo/")).toBe(true);
    expect(list("etcd/")).toBe(false);
    const withoutBackup = masterPolicyDocument({
      ...scope,
      clusterName: "demo",
      etcdVolumeArn: volumeA,
      stableAddress: { subnetId: "subnet-0a", member: "0" },
      ssmPrefix: prefix,
      kmsKeyArn,
      bootBundle,
    });
    // Only reads remain, and a failed boot's log tail under the master prefix (iam-boot-report.test.ts).
    const s3 = withoutBackup.Statement.filter((s) => s.Action.some((a) => a.startsWith("s3:")));
    expect(s3.map((s) => [s.Sid, s.Action])).toEqual([
      ["ReadBootBundle", ["s3:GetObject"]],
      ["ReadAddonManifests", ["s3:GetObject"]],
      ["PutBootLog", ["s3:PutObject"]],
    ]);
  });
});

describe("worker policy", () => {
  test("reads and decrypts /join only, even together with AmazonSSMManagedInstanceCore", () => {
    const role = [worker, ssmManagedCore];
    expect(isAllowed(role, { action: "ssm:GetParameter", resource: param("join/token") })).toBe(true);
    expect(
      isAllowed(role, { action: "kms:Decrypt", resource: kmsKeyArn, context: viaSsm("join/token") }),
    ).toBe(true);
    for (const path of ["pki/ca.key", "pki/sa.key", "pki/etcd-ca.key"]) {
      expect(isAllowed(role, { action: "ssm:GetParameter", resource: param(path) })).toBe(false);
      expect(isAllowed(role, { action: "ssm:GetParameters", resource: param(path) })).toBe(false);
      expect(isAllowed(role, { action: "kms:Decrypt", resource: kmsKeyArn, context: viaSsm(path) })).toBe(
        false,
      );
    }
    expect(isAllowed(role, { action: "ssm:GetParametersByPath", resource: param("pki") })).toBe(false);
  });

  test("no EC2 beyond its boot-status tag; writes only a failed boot's metric and log tail (iam-boot-report.test.ts)", () => {
    const actions = worker.Statement.filter(
      (s) => s.Effect === "Allow" && s.Sid !== "SessionManager",
    ).flatMap((s) => s.Action);
    expect(actions.sort()).toEqual([
      "cloudwatch:PutMetricData",
      "ec2:CreateTags",
      "kms:Decrypt",
      "s3:GetObject",
      "s3:PutObject",
      "ssm:GetParameter",
    ]);
  });
});
