/** Session Manager, the SSM parameter fence, the boot bundle and the snapshots' KMS key, for every node role. */
import { SESSION_MANAGER_ACTIONS } from "../../components/iam/policies";
import { isAllowed } from "../support/iam-evaluate";
import {
  bucketArn,
  instance,
  kmsKeyArn,
  master,
  param,
  ssmManagedCore,
  worker,
} from "../support/iamFixtures";

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
