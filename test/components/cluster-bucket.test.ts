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

/** The one resource of `type` that is a direct child of the cluster bucket component. */
function only(type: string, parentType = "k8sha:storage:ClusterBucket", from = result): RegisteredResource {
  const parents = ofType(from, parentType).map((p) => p.urn);
  const found = ofType(from, type).filter((r) => type === parentType || parents.includes(String(r.parent)));
  expect(found).toHaveLength(1);
  return found[0] as RegisteredResource;
}
const LOGS = "k8sha:storage:AccessLogBucket";

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
  // Snapshots hold every Secret: SSE-KMS under the cluster key, with an S3 Bucket Key.
  const key = only("aws:kms/key:Key", "k8sha:pki:ClusterSecrets");
  expect(sse.inputs.rules).toEqual([
    {
      applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.state.arn },
      bucketKeyEnabled: true,
    },
  ]);
});

test("bucket policy denies every non-TLS request on the bucket and its objects", () => {
  const policy = JSON.parse(String(only("aws:s3/bucketPolicy:BucketPolicy").inputs.policy)) as {
    Statement: (Statement & { Principal: unknown })[];
  };
  // The snapshot-encryption denies are proven in cluster-bucket-policy.test.ts.
  expect(policy.Statement.filter((st) => st.Action === "s3:*")).toEqual([
    expect.objectContaining({
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    }),
  ]);
  expect(policy.Statement.map((st) => st.Sid)).toContain("DenySnapshotsWithoutKms");
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
  // Besides the snapshots, only the failed boots' log tails (docs/boot-failures.md) expire here.
  const bootLogs = byPrefix["dev/boot-logs/"];
  expect(bootLogs?.expiration?.days).toBe(30);
  expect(bootLogs?.noncurrentVersionExpiration?.noncurrentDays).toBe(1);
  expect(
    rules.every(
      (r) =>
        r.status === "Enabled" &&
        (r.filter.prefix.startsWith(PREFIX) || r.filter.prefix === "dev/boot-logs/"),
    ),
  ).toBe(true);
});

test("every master may write and read only under the cluster prefix, and delete nothing", () => {
  const bucketPolicies = ofType(result, "aws:iam/rolePolicy:RolePolicy")
    .map((p) => JSON.parse(String(p.inputs.policy)) as { Statement: Statement[] })
    .filter((doc) => JSON.stringify(doc).includes(bucketArn));
  // Workers touch the bucket only to read their boot bundle (docs/boot.md) and to leave a failed
  // boot's log tail under their own prefix (docs/boot-failures.md).
  const bootOnly = {
    Sid: "ReadBootBundle",
    Effect: "Allow",
    Action: ["s3:GetObject"],
    Resource: [`${bucketArn}/dev/boot/*`],
  };
  const bootLog = (role: string) => ({
    Sid: "PutBootLog",
    Effect: "Allow",
    Action: ["s3:PutObject"],
    Resource: [`${bucketArn}/dev/boot-logs/${role}/*`],
    Condition: { StringEquals: { "s3:x-amz-server-side-encryption": "AES256" } },
  });
  const isMaster = (doc: { Statement: Statement[] }) => JSON.stringify(doc).includes("EtcdBackup");
  expect(bucketPolicies.filter((d) => !isMaster(d))).toHaveLength(1);
  for (const doc of bucketPolicies.filter((d) => !isMaster(d))) {
    expect(doc.Statement.filter((s) => list(s.Action).some((a) => a.startsWith("s3:")))).toEqual([
      bootOnly,
      bootLog("worker"),
    ]);
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
        } else if (s.Sid === "PutBootLog") {
          expect(s).toEqual(bootLog("master"));
        } else if (s.Sid === "ReadAddonManifests") {
          expect({ actions: s.Action, resource }).toEqual({
            actions: ["s3:GetObject"],
            resource: `${bucketArn}/dev/addons/*`,
          });
        } else {
          expect(resource).toBe(`${bucketArn}/${PREFIX}*`);
        }
      }
    }
    expect(actions).toEqual(expect.arrayContaining(["s3:PutObject", "s3:GetObject", "s3:ListBucket"]));
  }
});

test("masters get the bucket, prefix, interval and snapshot KMS key in node.env; the stack exports the location", () => {
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
    expect(doc).toContain(
      `BACKUP_KMS_KEY_ARN='${String(only("aws:kms/key:Key", "k8sha:pki:ClusterSecrets").state.arn)}'`,
    );
  }
});

test("server access logs go to a private, TLS-only, SSE-S3, versioned log bucket that expires them", () => {
  const logs = only(LOGS, LOGS);
  expect(logs.parent).toBe(only("k8sha:storage:ClusterBucket", "k8sha:storage:ClusterBucket").urn);
  const logBucket = only("aws:s3/bucket:Bucket", LOGS);
  expect(String(logBucket.inputs.bucketPrefix)).toBe("dev-s3-access-logs-");
  const logArn = String(logBucket.state.arn);
  const logging = only("aws:s3/bucketLogging:BucketLogging", LOGS);
  expect(logging.inputs).toMatchObject({
    bucket: `${only("aws:s3/bucket:Bucket").name}-id`,
    targetBucket: `${logBucket.name}-id`,
    targetPrefix: "dev/s3-access/",
  });
  // S3 server access log delivery supports SSE-S3 destinations only, not SSE-KMS.
  expect(
    only("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", LOGS)
      .inputs.rules,
  ).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
  expect(only("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", LOGS).inputs).toMatchObject({
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  expect(only("aws:s3/bucketOwnershipControls:BucketOwnershipControls", LOGS).inputs.rule).toEqual({
    objectOwnership: "BucketOwnerEnforced",
  });
  expect(only("aws:s3/bucketVersioning:BucketVersioning", LOGS).inputs.versioningConfiguration).toEqual({
    status: "Enabled",
  });
  const policy = JSON.parse(String(only("aws:s3/bucketPolicy:BucketPolicy", LOGS).inputs.policy)) as {
    Statement: (Statement & { Principal: unknown })[];
  };
  expect(policy.Statement.map((st) => st.Sid)).toEqual(["DenyInsecureTransport", "S3ServerAccessLogsPolicy"]);
  expect(policy.Statement[1]).toMatchObject({
    Principal: { Service: "logging.s3.amazonaws.com" },
    Resource: `${logArn}/dev/s3-access/*`,
    Condition: { ArnLike: { "aws:SourceArn": bucketArn } },
  });
  const rules = only("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", LOGS).inputs
    .rules as {
    filter: { prefix: string };
    expiration?: { days?: number };
  }[];
  expect(rules[0]).toMatchObject({ filter: { prefix: "dev/s3-access/" }, expiration: { days: 90 } });
});

test("a 24-character cluster name gives bucket prefixes the provider accepts (<= 37, name <= 63)", async () => {
  const name = "abcdefghijklmnopqrstuvwx";
  const long = await synthesize("dev", { clusterName: name });
  const buckets = ofType(long, "aws:s3/bucket:Bucket");
  // The cluster bucket, its access-log bucket and the service-account issuer's bucket.
  expect(buckets).toHaveLength(3);
  for (const bucket of buckets) {
    const prefix = String(bucket.inputs.bucketPrefix);
    expect(prefix.length).toBeLessThanOrEqual(37);
    expect(prefix.length + 26).toBeLessThanOrEqual(63);
    expect(prefix).toMatch(/^(k8sha-sa-)?abcdefghijklmnopqrstu[a-z]*-/);
  }
  expect(String(only("aws:s3/bucket:Bucket", "k8sha:storage:ClusterBucket", long).inputs.bucketPrefix)).toBe(
    "abcdefghijklmnopqrstuvw-etcd-backups-",
  );
  // The other names derived from the cluster name, against their AWS limits.
  const alias = only("aws:kms/alias:Alias", "k8sha:pki:ClusterSecrets", long);
  expect(String(alias.inputs.name).length).toBeLessThanOrEqual(256);
  for (const p of ofType(long, "aws:ssm/parameter:Parameter"))
    expect(String(p.inputs.name).length).toBeLessThanOrEqual(1011);
  for (const role of ofType(long, "aws:iam/role:Role"))
    expect(String(role.state.name).length).toBeLessThanOrEqual(64);
  for (const profile of ofType(long, "aws:iam/instanceProfile:InstanceProfile")) {
    expect(String(profile.state.name).length).toBeLessThanOrEqual(128);
  }
}, 60000);
