import { secretParameterNames } from "../../base/ssmPaths";
import {
  masterPolicyDocument,
  normaliseS3Prefix,
  SESSION_MANAGER_ACTIONS,
  workerPolicyDocument,
} from "../../components/iam/policies";
import type { PolicyDocument, PolicyStatement } from "../../components/iam/policyDocument";
import { isAllowed } from "../support/iam-evaluate";

const scope = { region: "eu-west-1", accountId: "123456789012" };
const prefix = "/k8sha/demo";
const kmsKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/k1";
const volumeA = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-aaaa";
const volumeB = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-bbbb";
const instance = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123";
const param = (path: string) => `arn:aws:ssm:eu-west-1:123456789012:parameter${prefix}/${path}`;
const bucketArn = "arn:aws:s3:::demo-backups";
const bootBundle = { bucketArn, prefix: "demo/boot/" };

const master = masterPolicyDocument({
  ...scope,
  clusterName: "demo",
  etcdVolumeArn: volumeA,
  stableAddress: { subnetId: "subnet-0a", member: "0" },
  ssmPrefix: prefix,
  kmsKeyArn,
  backup: { bucketArn, prefix: "/etcd/demo" },
  bootBundle,
});
const worker = workerPolicyDocument({
  ...scope,
  clusterName: "demo",
  ssmPrefix: prefix,
  kmsKeyArn,
  bootBundle,
});
/**
 * What AmazonSSMManagedInstanceCore grants on parameters. The roles no longer carry it; the
 * tests add it to prove the fence holds even if someone attaches it by hand.
 */
const ssmManagedCore: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    { Sid: "Core", Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: "*" },
  ],
};
const ours = { "aws:ResourceTag/k8sha.io/cluster": "demo" };
const viaSsm = (path: string) => ({
  "kms:ViaService": "ssm.eu-west-1.amazonaws.com",
  "kms:EncryptionContext:PARAMETER_ARN": param(path),
});

/** Instance tags as EC2 presents them to IAM for a master of member `member` or a worker. */
const masterTags = (member: string, cluster = "demo") => ({
  "aws:ResourceTag/k8sha.io/cluster": cluster,
  "aws:ResourceTag/k8sha.io/role": "master",
  "aws:ResourceTag/k8sha.io/etcd-member": member,
});
const workerTags = { "aws:ResourceTag/k8sha.io/cluster": "demo", "aws:ResourceTag/k8sha.io/role": "worker" };

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
      "DescribeVolumesAndInstances",
      "PutNodeMetrics",
      "SessionManager",
      "SessionManager",
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
    const s3Actions = withoutBackup.Statement.flatMap((s) => s.Action.filter((a) => a.startsWith("s3:")));
    expect(s3Actions).toEqual(["s3:GetObject"]);
  });
});

describe("boot bundle access (both roles)", () => {
  const bundleKey = "demo/boot/worker-0123abcd.sh";
  test.each([
    ["master", master],
    ["worker", worker],
  ])("%s: GetObject on <cluster>/boot/* only; no list, no write, no other cluster or prefix", (_n, doc) => {
    const can = (action: string, resource: string) => isAllowed([doc], { action, resource });
    expect(can("s3:GetObject", `${bucketArn}/${bundleKey}`)).toBe(true);
    expect(can("s3:PutObject", `${bucketArn}/${bundleKey}`)).toBe(false);
    expect(can("s3:DeleteObject", `${bucketArn}/${bundleKey}`)).toBe(false);
    expect(can("s3:GetObject", `${bucketArn}/other/boot/worker-0123abcd.sh`)).toBe(false);
    expect(can("s3:GetObject", "arn:aws:s3:::another-bucket/demo/boot/worker-0123abcd.sh")).toBe(false);
    expect(can("s3:GetObject", `${bucketArn}/demo/bootleg.sh`)).toBe(false);
    const listBoot = { action: "s3:ListBucket", resource: bucketArn, context: { "s3:prefix": "demo/boot/" } };
    expect(isAllowed([doc], listBoot)).toBe(false);
  });

  test("workers cannot read etcd snapshots", () => {
    expect(
      isAllowed([worker], { action: "s3:GetObject", resource: `${bucketArn}/etcd/demo/all/snap.db` }),
    ).toBe(false);
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

  test("no EC2 beyond its boot-status tag, no write or metrics permissions; S3 only to read its boot bundle", () => {
    const actions = worker.Statement.filter(
      (s) => s.Effect === "Allow" && s.Sid !== "SessionManager",
    ).flatMap((s) => s.Action);
    expect(actions.sort()).toEqual(["ec2:CreateTags", "kms:Decrypt", "s3:GetObject", "ssm:GetParameter"]);
  });
});

describe.each([
  ["master", master],
  ["worker", worker],
])("%s: Session Manager without the account's parameters", (_role, doc) => {
  test("every Session Manager action of the managed policy is allowed", () => {
    for (const action of SESSION_MANAGER_ACTIONS) {
      expect(isAllowed([doc], { action, resource: instance })).toBe(true);
    }
    expect(SESSION_MANAGER_ACTIONS).toEqual(
      expect.arrayContaining([
        "ssm:UpdateInstanceInformation",
        "ssmmessages:CreateControlChannel",
        "ssmmessages:OpenDataChannel",
        "ec2messages:GetMessages",
      ]),
    );
  });

  test("no parameter outside the cluster prefix, even with AmazonSSMManagedInstanceCore attached", () => {
    const other = (path: string) => `arn:aws:ssm:eu-west-1:123456789012:parameter${path}`;
    for (const role of [[doc], [doc, ssmManagedCore]]) {
      for (const action of ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]) {
        expect(isAllowed(role, { action, resource: other("/other/db-password") })).toBe(false);
        expect(isAllowed(role, { action, resource: other("/k8sha/prod/join/token") })).toBe(false);
        expect(isAllowed(role, { action, resource: other("/k8sha/demo-other/join/token") })).toBe(false);
      }
      expect(isAllowed(role, { action: "ssm:GetParameter", resource: param("join/token") })).toBe(true);
    }
  });
});

describe("snapshot encryption (SSE-KMS under the cluster key)", () => {
  const viaS3 = (context: string, service = "s3.eu-west-1.amazonaws.com") => ({
    "kms:ViaService": service,
    "kms:EncryptionContext:aws:s3:arn": context,
  });
  test("a master may generate data keys and decrypt via S3 for this bucket only", () => {
    for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
      const can = (context: Record<string, string>) =>
        isAllowed([master], { action, resource: kmsKeyArn, context });
      // With an S3 Bucket Key the context is the bucket ARN; without one, the object ARN.
      expect(can(viaS3(bucketArn))).toBe(true);
      expect(can(viaS3(`${bucketArn}/etcd/demo/all/snap.db.gz`))).toBe(true);
      expect(can(viaS3("arn:aws:s3:::another-bucket"))).toBe(false);
      expect(can(viaS3(`${bucketArn}/demo/boot/worker.sh`))).toBe(false);
      expect(can(viaS3(bucketArn, "sqs.eu-west-1.amazonaws.com"))).toBe(false);
    }
    expect(
      isAllowed([master], { action: "kms:Encrypt", resource: kmsKeyArn, context: viaS3(bucketArn) }),
    ).toBe(false);
  });

  test("workers get no KMS through S3 (boot bundles are SSE-S3)", () => {
    const ctx = viaS3(bucketArn);
    expect(isAllowed([worker], { action: "kms:GenerateDataKey", resource: kmsKeyArn, context: ctx })).toBe(
      false,
    );
    expect(isAllowed([worker], { action: "kms:Decrypt", resource: kmsKeyArn, context: ctx })).toBe(false);
  });
});
