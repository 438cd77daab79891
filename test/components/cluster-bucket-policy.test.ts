/**
 * The cluster bucket's names and bucket policies as pure documents, read with the test IAM
 * evaluator (Principal not evaluated: every statement here is Principal "*" or the logging service).
 */

import { backupBucketNamePrefix } from "../../components/clusterBucket";
import {
  accessLogBucketPolicy,
  BUCKET_NAME_SUFFIX_LENGTH,
  BUCKET_PREFIX_MAX_LENGTH,
  bucketNamePrefix,
  clusterBucketPolicy,
} from "../../components/clusterBucketPolicy";
import { isAllowed, isDenied } from "../support/iam-evaluate";

const bucketArn = "arn:aws:s3:::dev-etcd-backups-20240501";
const key = "arn:aws:kms:eu-west-1:123456789012:key/k1";
const snapshot = `${bucketArn}/dev/etcd/all/20240501T100500Z-m.db.gz`;
const bundle = `${bucketArn}/dev/boot/worker-0123.sh`;
const tls = { "aws:SecureTransport": "true" };

describe("bucket name prefixes", () => {
  test("today's prefix is kept wherever it is valid (a changed prefix replaces the bucket)", () => {
    expect(backupBucketNamePrefix("dev")).toBe("dev-etcd-backups-");
    const longest = "abcdefghijklmnopqrstuvw"; // 23 characters: the longest name that already fits
    expect(backupBucketNamePrefix(longest)).toBe(`${longest}-etcd-backups-`);
  });

  test.each(["a", "abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvw-", "abcdefghijklmnopqrstuv-x"])(
    "every allowed cluster name (%s) gives a prefix the provider accepts",
    (name) => {
      for (const suffix of ["-etcd-backups-", "-s3-access-logs-"]) {
        const prefix = bucketNamePrefix(name, suffix);
        expect(prefix.length).toBeLessThanOrEqual(BUCKET_PREFIX_MAX_LENGTH);
        expect(prefix.length + BUCKET_NAME_SUFFIX_LENGTH).toBeLessThanOrEqual(63);
        expect(prefix).toMatch(/^[a-z0-9][a-z0-9-]*[a-z0-9]-[a-z0-9-]+-$|^[a-z0-9]-[a-z0-9-]+-$/);
        expect(prefix).not.toContain("--");
      }
    },
  );
});

describe("cluster bucket policy", () => {
  const policy = clusterBucketPolicy(bucketArn, "dev/etcd/", key);
  const put = (resource: string, context: Record<string, string>) =>
    isDenied([policy], { action: "s3:PutObject", resource, context: { ...tls, ...context } });
  const kms = {
    "s3:x-amz-server-side-encryption": "aws:kms",
    "s3:x-amz-server-side-encryption-aws-kms-key-id": key,
  };

  test("snapshots: SSE-S3 or another key refused; the cluster key or the bucket default accepted", () => {
    expect(put(snapshot, { "s3:x-amz-server-side-encryption": "AES256" })).toBe(true);
    expect(put(snapshot, { ...kms, "s3:x-amz-server-side-encryption-aws-kms-key-id": `${key}-other` })).toBe(
      true,
    );
    expect(put(snapshot, kms)).toBe(false);
    // No header (and the UploadPart of a multipart upload): the bucket default, SSE-KMS with the key.
    expect(put(snapshot, {})).toBe(false);
    expect(put(snapshot, { "s3:x-amz-server-side-encryption": "aws:kms" })).toBe(false);
  });

  test("boot bundles stay SSE-S3; without a key only TLS is required", () => {
    expect(put(bundle, { "s3:x-amz-server-side-encryption": "AES256" })).toBe(false);
    const plain = clusterBucketPolicy(bucketArn, "dev/etcd/");
    expect(plain.Statement.map((s) => s.Sid)).toEqual(["DenyInsecureTransport"]);
    expect(
      isDenied([plain], {
        action: "s3:GetObject",
        resource: snapshot,
        context: { "aws:SecureTransport": "false" },
      }),
    ).toBe(true);
  });
});

describe("access log bucket policy", () => {
  const logBucketArn = "arn:aws:s3:::dev-s3-access-logs-2024";
  const policy = accessLogBucketPolicy({
    logBucketArn,
    sourceBucketArn: bucketArn,
    accountId: "123456789012",
    logPrefix: "dev/s3-access/",
  });
  const deliver = (resource: string, source: string, account = "123456789012") =>
    isAllowed([policy], {
      action: "s3:PutObject",
      resource,
      context: { ...tls, "aws:SourceArn": source, "aws:SourceAccount": account },
    });

  test("the logging service writes only the cluster bucket's logs of this account under the prefix", () => {
    expect(deliver(`${logBucketArn}/dev/s3-access/2024-05-01-10-00-00-ABC`, bucketArn)).toBe(true);
    expect(deliver(`${logBucketArn}/dev/s3-access/x`, "arn:aws:s3:::someone-else")).toBe(false);
    expect(deliver(`${logBucketArn}/dev/s3-access/x`, bucketArn, "999999999999")).toBe(false);
    expect(deliver(`${logBucketArn}/other/x`, bucketArn)).toBe(false);
    expect(policy.Statement[1]?.Principal).toEqual({ Service: "logging.s3.amazonaws.com" });
  });

  test("non-TLS requests are refused", () => {
    const context = {
      "aws:SecureTransport": "false",
      "aws:SourceArn": bucketArn,
      "aws:SourceAccount": "123456789012",
    };
    expect(
      isAllowed([policy], { action: "s3:PutObject", resource: `${logBucketArn}/dev/s3-access/x`, context }),
    ).toBe(false);
  });
});
