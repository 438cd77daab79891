/**
 * Names and bucket policies of the cluster bucket and its access-log bucket, as pure functions
 * (plain strings in, documents out) so tests can check them without Pulumi.
 */

/**
 * Longest `bucketPrefix` the AWS provider accepts: a bucket name is at most 63 characters and
 * the provider appends a 26-character unique suffix (terraform-provider-aws validates
 * `bucket_prefix` with `StringLenBetween(0, 63-resource.UniqueIDSuffixLength)` in
 * internal/service/s3/bucket.go; UniqueIDSuffixLength is 26).
 */
export const BUCKET_PREFIX_MAX_LENGTH = 37;
/** Length of the unique suffix the provider appends to a `bucketPrefix`. */
export const BUCKET_NAME_SUFFIX_LENGTH = 26;

/**
 * `<cluster><suffix>`, with the cluster name cut just enough to keep the whole prefix within
 * {@link BUCKET_PREFIX_MAX_LENGTH}. A name that already fits is kept exactly as it is: a changed
 * prefix makes the provider replace the bucket, and with it every backup.
 */
export function bucketNamePrefix(clusterName: string, suffix: string): string {
  const room = BUCKET_PREFIX_MAX_LENGTH - suffix.length;
  if (room < 1) throw new Error(`bucket name suffix '${suffix}' leaves no room for the cluster name`);
  // A bucket name part must not end in '-' before the suffix's own '-' (no '--' either).
  return `${clusterName.slice(0, room).replace(/-+$/, "")}${suffix}`;
}

/** Statement shape of the bucket policies (S3 bucket policies name a Principal). */
export interface BucketPolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal: "*" | { Service: string };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface BucketPolicyDocument {
  Version: "2012-10-17";
  Statement: BucketPolicyStatement[];
}

/** Refuse every request not made over TLS. */
export function denyInsecureTransport(bucketArn: string): BucketPolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/**
 * Snapshot writes under `<cluster>/etcd/` must use SSE-KMS with the cluster key. Only an
 * explicit header is judged (`Null` = false: the header is present): a request without one gets
 * the bucket default (SSE-KMS with that same key), and the UploadPart requests of a multipart
 * upload carry no encryption header at all, so a plain StringNotEquals (true for a missing key)
 * would refuse every large snapshot. Refused: an explicit SSE-S3 upload, or another KMS key.
 * Boot bundles (`<cluster>/boot/`) stay SSE-S3, so workers read them without any KMS permission.
 */
export function requireSnapshotKms(bucketArn: string, snapshotPrefix: string, kmsKeyArn: string) {
  const resource = `${bucketArn}/${snapshotPrefix}*`;
  const statements: BucketPolicyStatement[] = [
    {
      Sid: "DenySnapshotsWithoutKms",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:PutObject",
      Resource: resource,
      Condition: {
        Null: { "s3:x-amz-server-side-encryption": "false" },
        StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
      },
    },
    {
      Sid: "DenySnapshotsWithOtherKey",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:PutObject",
      Resource: resource,
      Condition: {
        Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
        StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": kmsKeyArn },
      },
    },
  ];
  return statements;
}

/** Bucket policy of the cluster bucket: TLS only, and (with a key) SSE-KMS for snapshots. */
export function clusterBucketPolicy(
  bucketArn: string,
  snapshotPrefix: string,
  kmsKeyArn?: string,
): BucketPolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      denyInsecureTransport(bucketArn),
      ...(kmsKeyArn ? requireSnapshotKms(bucketArn, snapshotPrefix, kmsKeyArn) : []),
    ],
  };
}

/**
 * Bucket policy of the access-log bucket: TLS only, and the S3 logging service may write under
 * `logPrefix` only for the cluster bucket of this account (the AWS-documented replacement for
 * the log-delivery ACL, which BucketOwnerEnforced disables).
 */
export function accessLogBucketPolicy(args: {
  logBucketArn: string;
  sourceBucketArn: string;
  accountId: string;
  logPrefix: string;
}): BucketPolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      denyInsecureTransport(args.logBucketArn),
      {
        Sid: "S3ServerAccessLogsPolicy",
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `${args.logBucketArn}/${args.logPrefix}*`,
        Condition: {
          ArnLike: { "aws:SourceArn": args.sourceBucketArn },
          StringEquals: { "aws:SourceAccount": args.accountId },
        },
      },
    ],
  };
}
