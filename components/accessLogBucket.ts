import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { hardenBucket } from "./bucketHardening";
import { accessLogBucketPolicy, bucketNamePrefix } from "./clusterBucketPolicy";
import { BACKUP_BUCKET_DEFAULTS } from "./tuning";

export interface AccessLogBucketArgs {
  /** Cluster name: the log bucket's name prefix and the key prefix of its logs derive from it. */
  clusterName: string;
  /** The bucket whose requests are logged (the cluster bucket). */
  sourceBucketId: pulumi.Input<string>;
  /** ARN of that bucket: only its logs may be delivered here. */
  sourceBucketArn: pulumi.Input<string>;
  /** Let `pulumi destroy` delete a log bucket that still holds logs (default false). */
  forceDestroy?: pulumi.Input<boolean>;
  /** Tags on the log bucket. */
  tags?: Record<string, pulumi.Input<string>>;
}

/**
 * S3 server access logs of the cluster bucket, in a bucket of their own (logging a bucket into
 * itself would log the log writes). Private, owner-enforced, TLS-only, versioned, SSE-S3 (server access
 * log delivery does not support SSE-KMS destinations), logs expired after
 * `BACKUP_BUCKET_DEFAULTS.accessLogRetentionDays`. Delivery is granted by bucket policy to
 * `logging.s3.amazonaws.com` for the source bucket only: BucketOwnerEnforced disables the
 * log-delivery ACL.
 */
export class AccessLogBucket extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  /** `<cluster>/s3-access/`: the key prefix of the delivered logs. */
  public readonly logPrefix: string;

  constructor(name: string, args: AccessLogBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:storage:AccessLogBucket", name, {}, opts);
    this.logPrefix = `${args.clusterName}/s3-access/`;
    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      {
        bucketPrefix: bucketNamePrefix(args.clusterName, "-s3-access-logs-"),
        forceDestroy: args.forceDestroy ?? BACKUP_BUCKET_DEFAULTS.forceDestroy,
        tags: { ...args.tags, Name: `${args.clusterName}-s3-access-logs` },
      },
      { parent: this },
    );
    const { publicAccess, versioning } = hardenBucket(name, bucket.id, this);
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      { parent: this },
    );
    const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const policy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: bucket.id,
        policy: pulumi
          .all([bucket.arn, args.sourceBucketArn, accountId])
          .apply(([logBucketArn, sourceBucketArn, account]) =>
            JSON.stringify(
              accessLogBucketPolicy({
                logBucketArn,
                sourceBucketArn,
                accountId: account,
                logPrefix: this.logPrefix,
              }),
            ),
          ),
      },
      // S3 checks a new policy against the public access block.
      { parent: this, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-retention`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-access-logs",
            status: "Enabled",
            filter: { prefix: this.logPrefix },
            expiration: { days: BACKUP_BUCKET_DEFAULTS.accessLogRetentionDays },
            noncurrentVersionExpiration: { noncurrentDays: 1 },
          },
          {
            id: "access-logs-cleanup",
            status: "Enabled",
            filter: { prefix: this.logPrefix },
            expiration: { expiredObjectDeleteMarker: true },
          },
        ],
      },
      { parent: this, dependsOn: [versioning] },
    );
    // Logging starts once the service may write: without the policy the first deliveries fail.
    new aws.s3.BucketLogging(
      `${name}-logging`,
      { bucket: args.sourceBucketId, targetBucket: bucket.id, targetPrefix: this.logPrefix },
      { parent: this, dependsOn: [policy] },
    );

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}
