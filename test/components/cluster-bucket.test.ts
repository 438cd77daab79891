/**
 * The etcd backup bucket and its wiring, from the real program under Pulumi mocks (dev stack,
 * with non-default retention so the config is proven to flow through).
 */
import { gunzipSync } from "node:zlib";
import { ofType, type RegisteredResource, type SynthResult, synthesize } from "../../synth/mockRuntime";

const RETENTION = { intervalMinutes: 20, keepAllDays: 2, keepHourlyDays: 9, keepDailyDays: 30 };
const PREFIX = "dev/etcd/";

let result: SynthResult;
let bucketArn: string;

beforeAll(async () => {
  result = await synthesize("dev", { backup: RETENTION });
  bucketArn = String(only("aws:s3/bucket:Bucket").state.arn);
}, 60000);

function only(type: string): RegisteredResource {
  const found = ofType(result, type);
  expect(found).toHaveLength(1);
  return found[0] as RegisteredResource;
}

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** Launch-template user-data: base64, gzipped or not. */
function userData(base64: string): string {
  const raw = Buffer.from(base64, "base64");
  return (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString("utf8");
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

test("the cluster bucket keeps the URNs of stacks created before it was renamed (an alias)", () => {
  expect(only("k8sha:storage:ClusterBucket").options.aliasTypes).toEqual(["k8sha:backup:BackupBucket"]);
});

test("bucket is private, owner-enforced, versioned, encrypted and kept on destroy", () => {
  const component = only("k8sha:storage:ClusterBucket");
  const bucket = only("aws:s3/bucket:Bucket");
  expect(bucket.parent).toBe(component.urn);
  expect(bucket.inputs.forceDestroy).toBe(false);
  expect(String(bucket.inputs.bucketPrefix)).toMatch(/^dev-etcd-backups-$/);
  for (const type of [
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  ]) {
    expect(only(type).parent).toBe(component.urn);
    // The mock gives every resource the id `<name>-id`.
    expect(only(type).inputs.bucket).toBe(`${bucket.name}-id`);
  }
  expect(only("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration).toEqual({
    status: "Enabled",
  });
  expect(only("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).toMatchObject({
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  expect(only("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule).toEqual({
    objectOwnership: "BucketOwnerEnforced",
  });
  const sse = only("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
  expect(sse.inputs.rules).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
});

test("bucket policy denies every non-TLS request on the bucket and its objects", () => {
  const policy = JSON.parse(String(only("aws:s3/bucketPolicy:BucketPolicy").inputs.policy)) as {
    Statement: (Statement & { Principal: unknown })[];
  };
  expect(policy.Statement).toEqual([
    expect.objectContaining({
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    }),
  ]);
});

test("lifecycle expires all/, hourly/, daily/ after the configured days, plus noncurrent and multipart", () => {
  const rules = only("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules as {
    status: string;
    filter: { prefix: string };
    expiration?: { days?: number; expiredObjectDeleteMarker?: boolean };
    noncurrentVersionExpiration?: { noncurrentDays: number };
    abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
  }[];
  const byPrefix = Object.fromEntries(rules.map((r) => [r.filter.prefix, r]));
  expect(byPrefix[`${PREFIX}all/`]?.expiration?.days).toBe(RETENTION.keepAllDays);
  expect(byPrefix[`${PREFIX}hourly/`]?.expiration?.days).toBe(RETENTION.keepHourlyDays);
  expect(byPrefix[`${PREFIX}daily/`]?.expiration?.days).toBe(RETENTION.keepDailyDays);
  for (const sub of ["all/", "hourly/", "daily/"]) {
    expect(byPrefix[`${PREFIX}${sub}`]?.noncurrentVersionExpiration?.noncurrentDays).toBeGreaterThan(0);
  }
  expect(byPrefix[PREFIX]?.abortIncompleteMultipartUpload?.daysAfterInitiation).toBeGreaterThan(0);
  expect(byPrefix[PREFIX]?.expiration?.expiredObjectDeleteMarker).toBe(true);
  expect(rules.every((r) => r.status === "Enabled" && r.filter.prefix.startsWith(PREFIX))).toBe(true);
});

test("every master may write and read only under the cluster prefix, and delete nothing", () => {
  const bucketPolicies = ofType(result, "aws:iam/rolePolicy:RolePolicy")
    .map((p) => JSON.parse(String(p.inputs.policy)) as { Statement: Statement[] })
    .filter((doc) => JSON.stringify(doc).includes(bucketArn));
  // Workers touch the bucket only to read their boot bundle (docs/boot.md).
  const bootOnly = {
    Sid: "ReadBootBundle",
    Effect: "Allow",
    Action: ["s3:GetObject"],
    Resource: [`${bucketArn}/dev/boot/*`],
  };
  const isMaster = (doc: { Statement: Statement[] }) => JSON.stringify(doc).includes("s3:PutObject");
  expect(bucketPolicies.filter((d) => !isMaster(d))).toHaveLength(1);
  for (const doc of bucketPolicies.filter((d) => !isMaster(d))) {
    expect(doc.Statement.filter((s) => list(s.Action).some((a) => a.startsWith("s3:")))).toEqual([bootOnly]);
  }
  const masterPolicies = bucketPolicies.filter(isMaster);
  expect(masterPolicies).toHaveLength(3);
  for (const doc of masterPolicies) {
    const s3 = doc.Statement.filter((s) => list(s.Action).some((a) => a.startsWith("s3:")));
    const actions = s3.flatMap((s) => list(s.Action));
    expect(actions.some((a) => /Delete|\*/.test(a))).toBe(false);
    for (const s of s3) {
      expect(s.Effect).toBe("Allow");
      for (const resource of list(s.Resource)) {
        if (list(s.Action).every((a) => a === "s3:ListBucket")) {
          expect(resource).toBe(bucketArn);
          expect(s.Condition).toEqual({ StringLike: { "s3:prefix": [`${PREFIX}*`] } });
        } else if (s.Sid === "ReadBootBundle") {
          expect(s).toEqual(bootOnly);
        } else {
          expect(resource).toBe(`${bucketArn}/${PREFIX}*`);
        }
      }
    }
    expect(actions).toEqual(expect.arrayContaining(["s3:PutObject", "s3:GetObject", "s3:ListBucket"]));
  }
});

test("masters get the bucket, prefix and interval in node.env; the stack exports the location", () => {
  const bucketName = String(only("aws:s3/bucket:Bucket").state.bucket);
  expect(result.outputs.backupLocation).toBe(`s3://${bucketName}/${PREFIX}`);
  const masterTemplates = ofType(result, "aws:ec2/launchTemplate:LaunchTemplate")
    .map((t) => userData(String(t.inputs.userData)))
    .filter((doc) => doc.includes("MASTER_INDEX="));
  expect(masterTemplates).toHaveLength(3);
  for (const doc of masterTemplates) {
    expect(doc).toContain(`BACKUP_BUCKET='${bucketName}'`);
    expect(doc).toContain(`BACKUP_PREFIX='${PREFIX}'`);
    expect(doc).toContain(`BACKUP_INTERVAL_MINUTES='${RETENTION.intervalMinutes}'`);
  }
});
