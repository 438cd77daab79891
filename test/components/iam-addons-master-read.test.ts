/**
 * The masters read the add-on manifest pointer (SSM) and the manifests (cluster bucket) for
 * the add-on applier; workers read neither. Judged by the test evaluator on the node policies.
 */
import { addonsManifestPrefix } from "../../base/addons";
import { addonsParameterName, ssmPrefix } from "../../base/ssmPaths";
import { addonManifestStatement } from "../../components/iam/nodeStatements";
import { ssmParameterArn } from "../../components/iam/policyDocument";
import { grantsService, isAllowed } from "../support/iam-evaluate";
import { bucketArn, master, prefix, scope, worker } from "../support/iamFixtures";

const pointer = ssmParameterArn(scope, addonsParameterName("demo"));
const manifest = `${bucketArn}/${addonsManifestPrefix("demo")}0f3c9a.yaml`;

test("the fixtures' cluster is the one the add-on names belong to", () => {
  expect(ssmPrefix("demo")).toBe(prefix);
  expect(addonsManifestPrefix("demo")).toBe("demo/addons/");
});

test("a master reads the pointer and the manifests", () => {
  expect(isAllowed([master], { action: "ssm:GetParameter", resource: pointer })).toBe(true);
  expect(isAllowed([master], { action: "s3:GetObject", resource: manifest })).toBe(true);
});

test("a master writes neither, and reads no other cluster's manifests", () => {
  expect(isAllowed([master], { action: "ssm:PutParameter", resource: pointer })).toBe(false);
  for (const action of ["s3:PutObject", "s3:DeleteObject"])
    expect(isAllowed([master], { action, resource: manifest })).toBe(false);
  expect(
    isAllowed([master], { action: "s3:GetObject", resource: `${bucketArn}/other/addons/0f3c9a.yaml` }),
  ).toBe(false);
  expect(
    isAllowed([master], {
      action: "ssm:GetParameter",
      resource: ssmParameterArn(scope, addonsParameterName("other")),
    }),
  ).toBe(false);
  // The manifests' own prefix only, not the bucket's other contents through a sibling key.
  expect(
    isAllowed([master], { action: "s3:GetObject", resource: `${bucketArn}/demo/addons-old/x.yaml` }),
  ).toBe(false);
});

test("a worker reads neither", () => {
  // Its own policy only: the pointer is no secret (bucket, key, hash), so the worker's deny
  // fence, which keeps master-only secrets out of a hand-attached managed policy, leaves it out.
  expect(isAllowed([worker], { action: "ssm:GetParameter", resource: pointer })).toBe(false);
  expect(isAllowed([worker], { action: "s3:GetObject", resource: manifest })).toBe(false);
  expect(worker.Statement.map((s) => s.Sid)).not.toContain("ReadAddonManifests");
});

test("the only new permission is one GetObject on the manifest prefix (SSE-S3: no KMS)", () => {
  const read = master.Statement.filter((s) => s.Sid === "ReadAddonManifests");
  expect(read).toEqual([
    {
      Sid: "ReadAddonManifests",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: [`${bucketArn}/demo/addons/*`],
    },
  ]);
  expect(read).toEqual([addonManifestStatement(bucketArn, "demo")]);
  // The master's S3 and KMS statements: the boot bundle, the backups, and this one; no new SSM grant.
  expect(
    master.Statement.filter((s) => grantsService({ ...s }, "s3"))
      .map((s) => s.Sid)
      .sort(),
  ).toEqual(["EtcdBackupList", "EtcdBackupObjects", "PutBootLog", "ReadAddonManifests", "ReadBootBundle"]);
  expect(
    master.Statement.filter((s) => grantsService({ ...s }, "kms"))
      .map((s) => s.Sid)
      .sort(),
  ).toEqual(["DecryptClusterParameters", "EtcdBackupKms"]);
  expect(
    master.Statement.filter((s) => s.Effect === "Allow" && grantsService({ ...s }, "ssm"))
      .map((s) => s.Sid)
      .sort(),
  ).toEqual(["ReadClusterParameters", "SessionManager", "WriteClusterState"]);
});
