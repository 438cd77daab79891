import { secretParameterNames } from "../../base/ssmPaths";
import { masterPolicyDocument, normaliseS3Prefix, workerPolicyDocument } from "../../components/iam/policies";
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
/** What AmazonSSMManagedInstanceCore grants on parameters (the worker role also has it). */
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

describe.each([
  ["master", master],
  ["worker", worker],
])("%s boot-status tag", (_role, doc) => {
  test("tags only k8sha.io/boot-status, only on this cluster's instances", () => {
    const tag = (keys: string[], context = ours) =>
      isAllowed([doc], {
        action: "ec2:CreateTags",
        resource: instance,
        context: { ...context, "aws:TagKeys": keys },
      });
    expect(tag(["k8sha.io/boot-status"])).toBe(true);
    expect(tag(["k8sha.io/boot-status", "k8sha.io/cluster"])).toBe(false);
    expect(tag(["k8sha.io/boot-status"], { "aws:ResourceTag/k8sha.io/cluster": "other" })).toBe(false);
    expect(isAllowed([doc], { action: "ec2:CreateTags", resource: volumeA, context: ours })).toBe(false);
  });
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
      .flatMap((s) => (s.Resource === "*" ? ["*"] : s.Resource))
      .filter((r) => !r.includes(":instance/"));
    expect(volumes).toEqual([volumeA]);
    for (const s of attach) expect(s.Condition?.StringEquals).toEqual(ours);
  });

  test("attach works only for its own volume, tagged for this cluster, on this cluster's instances", () => {
    expect(isAllowed([master], { action: "ec2:AttachVolume", resource: volumeA, context: ours })).toBe(true);
    expect(isAllowed([master], { action: "ec2:AttachVolume", resource: instance, context: ours })).toBe(true);
    expect(isAllowed([master], { action: "ec2:AttachVolume", resource: volumeB, context: ours })).toBe(false);
    const other = { "aws:ResourceTag/k8sha.io/cluster": "other" };
    expect(isAllowed([master], { action: "ec2:AttachVolume", resource: volumeA, context: other })).toBe(
      false,
    );
    expect(isAllowed([master], { action: "ec2:AttachVolume", resource: instance, context: other })).toBe(
      false,
    );
  });

  test("no Action '*' and Resource '*' only where AWS has no resource-level permissions", () => {
    const all: PolicyStatement[] = [...master.Statement, ...worker.Statement];
    for (const s of all) for (const a of s.Action) expect(a).not.toMatch(/\*/);
    const unscoped = all.filter((s) => s.Resource === "*");
    expect(unscoped.map((s) => s.Sid).sort()).toEqual(["DescribeVolumesAndInstances", "PutNodeMetrics"]);
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
    const actions = worker.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => s.Action);
    expect(actions.sort()).toEqual(["ec2:CreateTags", "kms:Decrypt", "s3:GetObject", "ssm:GetParameter"]);
  });
});
