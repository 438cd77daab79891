import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { renderBootBundle } from "../cloud-init/bundle";
import type { BootRole } from "../cloud-init/roles";

export interface BootBundleArgs {
  /** Cluster name (plain: it is the first segment of the object key). */
  clusterName: string;
  /** Which role's scripts the bundle holds. */
  role: BootRole;
  /** Bucket the bundle is stored in (the cluster's backup bucket). */
  bucketName: pulumi.Input<string>;
  /** That bucket's ARN: exposed with `prefix` as the scope of the nodes' IAM read. */
  bucketArn: pulumi.Input<string>;
}

/** What a node's launch template needs about its role's bundle (`BootBundle` outputs). */
export interface BootBundleRefArgs {
  /** Bucket name (`BootBundle.bucket`). */
  bucket: pulumi.Input<string>;
  /** Object key (`BootBundle.key`); content-addressed. */
  key: pulumi.Input<string>;
  /** Hex SHA-256 the bootstrap verifies (`BootBundle.sha256`). */
  sha256: pulumi.Input<string>;
}

/** `<cluster>/boot/`: every bundle key lives under it; node IAM may read nothing else there. */
export function bootBundlePrefix(clusterName: string): string {
  return `${clusterName}/boot/`;
}

/**
 * `<cluster>/boot/<role>-<sha256>.sh`. Content-addressed: a key always names the same bytes, so
 * an instance launched from an older launch template can never fetch a newer bundle (or the
 * reverse) under the key it was given.
 */
export function bootBundleKey(clusterName: string, role: BootRole, sha256: string): string {
  return `${bootBundlePrefix(clusterName)}${role}-${sha256}.sh`;
}

/**
 * A role's boot bundle (cloud-init/bundle.ts) as an S3 object, server-side encrypted. Nodes
 * download it with their instance role and run it only if its sha256 matches user-data.
 * Pass the component in a launch template's `dependsOn` so no node boots before it exists.
 *
 * A script change yields a new key, so Pulumi replaces the object (create before delete): the
 * new launch templates point at the new key before the old object goes.
 */
export class BootBundle extends pulumi.ComponentResource {
  public readonly bucket: pulumi.Output<string>;
  public readonly key: pulumi.Output<string>;
  /** Hex SHA-256 of the object (plain: known from the repository's scripts at deploy time). */
  public readonly sha256: string;
  /**
   * bucket, key and sha256: the `bootBundle` arg of WorkerPool (and, with the bucket ARN, of
   * ControlPlane). Pass this, not the component itself: `pulumi.output()` keeps resources whole.
   */
  public readonly ref: BootBundleRefArgs;
  /** The nodes' IAM read scope: the bucket ARN and `<cluster>/boot/` (node policy `bootBundle`). */
  public readonly readScope: { bucketArn: pulumi.Output<string>; prefix: string };

  constructor(name: string, args: BootBundleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:boot:BootBundle", name, {}, opts);
    const bundle = renderBootBundle(args.role);
    const object = new aws.s3.BucketObjectv2(
      `${name}-object`,
      {
        bucket: args.bucketName,
        key: bootBundleKey(args.clusterName, args.role, bundle.sha256),
        content: bundle.content,
        contentType: "text/x-shellscript",
        serverSideEncryption: "AES256",
        // No tags: S3 allows 10 per object and user tags could exceed it; the key says what it is.
      },
      // Kept when a new bundle replaces it: an instance still launching from the previous
      // launch-template version during the same `pulumi up` must find the object its
      // user-data names. Old bundles are small; the bucket's versioning keeps history anyway.
      { parent: this, retainOnDelete: true },
    );
    this.bucket = object.bucket;
    this.key = object.key;
    this.sha256 = bundle.sha256;
    this.ref = { bucket: this.bucket, key: this.key, sha256: this.sha256 };
    this.readScope = { bucketArn: pulumi.output(args.bucketArn), prefix: bootBundlePrefix(args.clusterName) };
    this.registerOutputs({ bucket: this.bucket, key: this.key, sha256: this.sha256 });
  }
}

/** Every role's bundle of one cluster. */
export interface BootBundles {
  master: BootBundle;
  worker: BootBundle;
  /** The etcd nodes' bundle: external etcd topology only. */
  etcd?: BootBundle;
}

/** `<name>-boot-master`, `<name>-boot-worker` and, with `etcdNodes`, `<name>-boot-etcd` in `bucket`, children of `parent`. */
export function createBootBundles(
  name: string,
  clusterName: string,
  bucket: { bucketName: pulumi.Input<string>; bucketArn: pulumi.Input<string> },
  parent: pulumi.Resource,
  etcdNodes = false,
): BootBundles {
  const create = (role: BootRole) =>
    new BootBundle(`${name}-boot-${role}`, { clusterName, role, ...bucket }, { parent });
  return {
    master: create("master"),
    worker: create("worker"),
    ...(etcdNodes ? { etcd: create("etcd") } : {}),
  };
}
