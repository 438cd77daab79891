/**
 * What every bucket of the cluster shares: all public access blocked, owner-enforced object
 * ownership (no ACLs), versioning on. Registered under the caller's `parent` with its name as
 * prefix, so each bucket component keeps its own children.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

export interface BucketHardening {
  /** The public access block: a bucket policy must wait for it (AWS refuses one before). */
  publicAccess: aws.s3.BucketPublicAccessBlock;
  /** Versioning: lifecycle rules on noncurrent versions must wait for it. */
  versioning: aws.s3.BucketVersioning;
}

export function hardenBucket(
  name: string,
  bucketId: pulumi.Input<string>,
  parent: pulumi.Resource,
): BucketHardening {
  const publicAccess = new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    {
      bucket: bucketId,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    { parent },
  );
  new aws.s3.BucketOwnershipControls(
    `${name}-ownership`,
    { bucket: bucketId, rule: { objectOwnership: "BucketOwnerEnforced" } },
    { parent },
  );
  const versioning = new aws.s3.BucketVersioning(
    `${name}-versioning`,
    { bucket: bucketId, versioningConfiguration: { status: "Enabled" } },
    { parent },
  );
  return { publicAccess, versioning };
}
