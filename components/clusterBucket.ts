import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_DEFAULTS } from "../config/defaults";
import { AccessLogBucket } from "./accessLogBucket";
import { hardenBucket } from "./bucketHardening";
import { bucketNamePrefix, clusterBucketPolicy } from "./clusterBucketPolicy";
import { BACKUP_BUCKET_DEFAULTS } from "./tuning";

export interface ClusterBucketArgs {
  /** Cluster name: the key prefix `<cluster>/etcd/` and the bucket name prefix derive from it. */
  clusterName: string;
  /** Days every snapshot (`all/`) is kept. */
  keepAllDays?: pulumi.Input<number>;
  /** Days the first snapshot of each hour (`hourly/`) is kept. */
  keepHourlyDays?: pulumi.Input<number>;
  /** Days the first snapshot of each day (`daily/`) is kept. */
  keepDailyDays?: pulumi.Input<number>;
  /**
   * The cluster's KMS key (`ClusterSecrets.kmsKeyArn`). With it the bucket default is SSE-KMS
   * under this key with an S3 Bucket Key, and the bucket policy refuses snapshot writes under
   * `<cluster>/etcd/` with SSE-S3 or another key; boot bundles stay SSE-S3 (they are written
   * with an explicit AES256 header). Without it every object is SSE-S3. Writers need
   * kms:GenerateDataKey and readers kms:Decrypt on it via S3 (the master policy grants both).
   */
  kmsKeyArn?: pulumi.Input<string>;
  /** Server access logs into a separate log bucket (default true; see AccessLogBucket). */
  accessLogs?: boolean;
  /** Let `pulumi destroy` delete a bucket that still holds backups (default false). */
  forceDestroy?: pulumi.Input<boolean>;
  /** Tags on the bucket. */
  tags?: Record<string, pulumi.Input<string>>;
}

/** `<cluster>/etcd/`: every key the cluster writes lives under it (IAM is scoped to it). */
export function backupPrefix(clusterName: string): string {
  return `${clusterName}/etcd/`;
}

/**
 * Bucket name prefix: `<cluster>-etcd-backups-`, the cluster name cut only when the prefix would
 * exceed the provider's 37 characters (a 24-character name): a changed prefix replaces the bucket.
 */
export function backupBucketNamePrefix(clusterName: string): string {
  return bucketNamePrefix(clusterName, "-etcd-backups-");
}

/** The component's type before it was named for what it holds; the alias keeps existing stacks' URNs. */
const PREVIOUS_TYPE = "k8sha:backup:BackupBucket";

/**
 * The cluster's S3 bucket: etcd snapshots under `<cluster>/etcd/` and the nodes' boot bundles
 * under `<cluster>/boot/`. Private (owner-enforced, all public access blocked), TLS-only,
 * encrypted, versioned, with lifecycle rules that implement the kops snapshot retention
 * (all / hourly / daily) per key prefix.
 */
export class ClusterBucket extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  /** `<cluster>/etcd/`, with `all/`, `hourly/` and `daily/` below it. */
  public readonly prefix: string;
  /** `s3://<bucket>/<cluster>/etcd/` */
  public readonly location: pulumi.Output<string>;
  /** Where the bucket's server access logs go (absent when `accessLogs` is false). */
  public readonly accessLogs?: AccessLogBucket;

  constructor(name: string, args: ClusterBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      "k8sha:storage:ClusterBucket",
      name,
      {},
      {
        ...opts,
        aliases: [...(opts?.aliases ?? []), { type: PREVIOUS_TYPE }],
      },
    );
    const prefix = backupPrefix(args.clusterName);
    this.prefix = prefix;

    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      {
        bucketPrefix: backupBucketNamePrefix(args.clusterName),
        forceDestroy: args.forceDestroy ?? BACKUP_BUCKET_DEFAULTS.forceDestroy,
        tags: { ...args.tags, Name: `${args.clusterName}-etcd-backups` },
      },
      { parent: this },
    );
    const bucketId = bucket.id;

    const { publicAccess, versioning } = hardenBucket(name, bucketId, this);
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucketId,
        rules: [
          {
            applyServerSideEncryptionByDefault: args.kmsKeyArn
              ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }
              : { sseAlgorithm: "AES256" },
            // One data key per bucket instead of per object: fewer KMS calls, same protection.
            // It also makes the KMS encryption context the bucket ARN (the master policy's condition).
            bucketKeyEnabled: args.kmsKeyArn ? true : undefined,
          },
        ],
      },
      { parent: this },
    );
    // After the public access block: S3 checks a new policy against it.
    new aws.s3.BucketPolicy(
      `${name}-tls-only`,
      {
        bucket: bucketId,
        policy: pulumi
          .all([bucket.arn, args.kmsKeyArn])
          .apply(([arn, key]) => JSON.stringify(clusterBucketPolicy(arn, prefix, key))),
      },
      { parent: this, dependsOn: [publicAccess] },
    );

    const expire = (id: string, sub: string, days: pulumi.Input<number>) => ({
      id,
      status: "Enabled",
      filter: { prefix: `${prefix}${sub}/` },
      expiration: { days },
      noncurrentVersionExpiration: { noncurrentDays: BACKUP_BUCKET_DEFAULTS.noncurrentVersionDays },
    });
    // Lifecycle rules on a versioned bucket only make sense once versioning is on.
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-retention`,
      {
        bucket: bucketId,
        rules: [
          expire("etcd-all", "all", args.keepAllDays ?? BACKUP_DEFAULTS.keepAllDays),
          expire("etcd-hourly", "hourly", args.keepHourlyDays ?? BACKUP_DEFAULTS.keepHourlyDays),
          expire("etcd-daily", "daily", args.keepDailyDays ?? BACKUP_DEFAULTS.keepDailyDays),
          {
            // A failed boot's log tail (cloud-init/lib/report.sh): one object per instance, rewritten
            // on each failed attempt, so the noncurrent versions of a boot failing every minute go fast.
            id: "boot-logs",
            status: "Enabled",
            filter: { prefix: `${args.clusterName}/boot-logs/` },
            expiration: { days: BACKUP_BUCKET_DEFAULTS.bootLogDays },
            noncurrentVersionExpiration: { noncurrentDays: 1 },
          },
          {
            // Expired objects leave delete markers behind; drop them with half-finished uploads.
            id: "etcd-cleanup",
            status: "Enabled",
            filter: { prefix },
            expiration: { expiredObjectDeleteMarker: true },
            abortIncompleteMultipartUpload: {
              daysAfterInitiation: BACKUP_BUCKET_DEFAULTS.abortIncompleteUploadDays,
            },
          },
        ],
      },
      { parent: this, dependsOn: [versioning] },
    );

    if (args.accessLogs ?? BACKUP_BUCKET_DEFAULTS.accessLogs) {
      this.accessLogs = new AccessLogBucket(
        `${name}-access-logs`,
        {
          clusterName: args.clusterName,
          sourceBucketId: bucketId,
          sourceBucketArn: bucket.arn,
          forceDestroy: args.forceDestroy,
          tags: args.tags,
        },
        { parent: this },
      );
    }

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.location = pulumi.interpolate`s3://${bucket.bucket}/${prefix}`;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, location: this.location });
  }
}
