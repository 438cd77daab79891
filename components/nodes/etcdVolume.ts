import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { EtcdVolumeConfig } from "../../config/types";
import { MASTER_GROUP_DEFAULTS } from "../tuning";

export interface EtcdVolumeArgs {
  /** Cluster name (the volume's `Name` tag). */
  clusterName: string;
  /** The etcd member the volume belongs to (the etcd-member tag value, part of `Name`). */
  member: string;
  /** The member's zone: an EBS volume attaches only to instances in its own zone. */
  availabilityZone: pulumi.Input<string>;
  /** Volume type, size, IOPS, throughput. */
  volume: EtcdVolumeConfig;
  /** ARN of the KMS key that encrypts the volume (the AWS-managed EBS key, `ebsKeyArn`). */
  kmsKeyArn: pulumi.Input<string>;
  /** The owning node's tags (`nodeTags`, with the etcd-member tag); `Name` is replaced by the volume's. */
  tags: Record<string, string>;
  /** Keep the volume when Pulumi deletes or replaces it (default true: it holds the member's data). */
  retainOnDelete?: boolean;
}

/** An etcd member's data volume and what its node's permissions are scoped to. */
export interface EtcdVolume {
  /** The encrypted EBS volume; the boot claims it by id (`etcdVolumeId` in user-data). */
  volume: aws.ebs.Volume;
  /** The instance role's attach scope: this volume is the only one it may attach or detach. */
  attachScope: { etcdVolumeArn: pulumi.Output<string> };
}

/**
 * One etcd member's encrypted EBS volume in its zone, registered under the caller's
 * `opts.parent`. It is never deleted implicitly, and a replacement is created before the old
 * volume goes: losing the volume loses the member's data. The key is named explicitly but
 * ignored after creation: the key of an existing volume cannot change in place, and a volume
 * created under an earlier default key must not be replaced by an empty one.
 */
export function createEtcdVolume(
  name: string,
  args: EtcdVolumeArgs,
  opts: Omit<pulumi.CustomResourceOptions, "retainOnDelete" | "deleteBeforeReplace" | "ignoreChanges">,
): EtcdVolume {
  const config = args.volume;
  const volume = new aws.ebs.Volume(
    name,
    {
      availabilityZone: args.availabilityZone,
      type: config.type,
      size: config.sizeGiB,
      iops: config.iops,
      // Throughput is a gp3-only setting; io1/io2 reject it.
      throughput: config.type === "gp3" ? config.throughputMiBps : undefined,
      encrypted: true,
      kmsKeyId: args.kmsKeyArn,
      tags: { ...args.tags, Name: `${args.clusterName}-etcd-${args.member}` },
    },
    {
      ...opts,
      retainOnDelete: args.retainOnDelete ?? MASTER_GROUP_DEFAULTS.retainEtcdVolumeOnDelete,
      deleteBeforeReplace: false,
      ignoreChanges: ["kmsKeyId"],
    },
  );
  return { volume, attachScope: { etcdVolumeArn: volume.arn } };
}
