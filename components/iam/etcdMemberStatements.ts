/**
 * Statements of the role of a node that is one etcd member: a master in the stacked topology, a
 * dedicated etcd node in the external one. Each such node owns one etcd volume and one stable
 * address, and uploads snapshots when backups are on; the statements take the node's role tag so
 * one member's permissions never reach a node of the other kind.
 */
import type { NodeRoleTag } from "../../base/nodeTags";
import { TAG_CLUSTER, TAG_ETCD_MEMBER, TAG_ROLE } from "../../base/tags";
import { clusterTagCondition, normaliseS3Prefix } from "./nodeStatements";
import { type AccountScope, ec2Arn, type PolicyStatement } from "./policyDocument";

/** Where a member's etcd snapshots go. */
export interface BackupLocation {
  /** `arn:aws:s3:::<bucket>` */
  bucketArn: string;
  /** Key prefix of this cluster's snapshots, e.g. `etcd/<cluster>/`. */
  prefix: string;
}

/** Who one etcd member's node is: its cluster, its role and its etcd-member tag value. */
export interface EtcdMemberIdentity {
  clusterName: string;
  role: NodeRoleTag;
  member: string;
}

/** The tags (as `aws:ResourceTag` condition keys) of the member's own instances and interfaces. */
export function ownMemberTags(identity: EtcdMemberIdentity): Record<string, string> {
  return {
    [`aws:ResourceTag/${TAG_ROLE}`]: identity.role,
    [`aws:ResourceTag/${TAG_ETCD_MEMBER}`]: identity.member,
  };
}

/**
 * Attach and detach its own volume only, and only onto an instance of its own kind for the same
 * member: a node can never grab another member's data (kops #14560, #4350), nor move its volume
 * onto a worker or a node of another member.
 */
export function attachOwnEtcdVolumeStatements(
  identity: EtcdMemberIdentity,
  etcdVolumeArn: string,
  instances: string,
): PolicyStatement[] {
  return [
    {
      // Only its own volume, and only while that volume is tagged for this cluster.
      Sid: "AttachOwnEtcdVolume",
      Effect: "Allow",
      Action: ["ec2:AttachVolume", "ec2:DetachVolume"],
      Resource: [etcdVolumeArn],
      Condition: clusterTagCondition(identity.clusterName),
    },
    {
      // Attach is authorised on the volume AND the instance (both resource types of
      // AttachVolume/DetachVolume take aws:ResourceTag in the service authorization reference).
      Sid: "AttachToOwnMemberInstance",
      Effect: "Allow",
      Action: ["ec2:AttachVolume", "ec2:DetachVolume"],
      Resource: [instances],
      Condition: {
        StringEquals: {
          ...clusterTagCondition(identity.clusterName).StringEquals,
          ...ownMemberTags(identity),
        },
      },
    },
    {
      // Describe* has no resource-level permissions in EC2: "*" is the only valid resource.
      Sid: "DescribeVolumesAndInstances",
      Effect: "Allow",
      Action: ["ec2:DescribeVolumes", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces"],
      Resource: "*",
    },
  ];
}

/**
 * The stable address goes onto the member's own primary interface: an interface in its subnet
 * that carries this cluster's tags of its role and etcd member (the launch template tags every
 * interface it creates). No condition key names the address itself, so the boot checks who
 * holds it before it reassigns (docs/security.md).
 */
export function assignStableAddressStatement(
  scope: AccountScope,
  identity: EtcdMemberIdentity,
  subnetId: string,
): PolicyStatement {
  return {
    Sid: "AssignOwnStableAddress",
    Effect: "Allow",
    Action: ["ec2:AssignPrivateIpAddresses"],
    Resource: [ec2Arn(scope, "network-interface/*")],
    Condition: {
      StringEquals: {
        "ec2:Subnet": ec2Arn(scope, `subnet/${subnetId}`),
        [`aws:ResourceTag/${TAG_CLUSTER}`]: identity.clusterName,
        ...ownMemberTags(identity),
      },
    },
  };
}

/**
 * Snapshots are SSE-KMS under the cluster key (components/clusterBucket.ts): uploading needs
 * kms:GenerateDataKey (and kms:Decrypt to complete a multipart upload), downloading for a restore
 * kms:Decrypt. Only through S3, and only for this bucket: with an S3 Bucket Key the encryption
 * context `aws:s3:arn` is the bucket ARN, without one the object ARN under the snapshot prefix.
 */
export function backupKmsStatement(
  scope: AccountScope,
  kmsKeyArn: string,
  backup: BackupLocation,
): PolicyStatement {
  return {
    Sid: "EtcdBackupKms",
    Effect: "Allow",
    Action: ["kms:GenerateDataKey", "kms:Decrypt"],
    Resource: [kmsKeyArn],
    Condition: {
      StringEquals: { "kms:ViaService": `s3.${scope.region}.amazonaws.com` },
      StringLike: {
        "kms:EncryptionContext:aws:s3:arn": [
          backup.bucketArn,
          `${backup.bucketArn}/${normaliseS3Prefix(backup.prefix)}*`,
        ],
      },
    },
  };
}

/** Put and get the cluster's snapshots under its prefix, and list that prefix only. */
export function backupStatements(backup: BackupLocation): PolicyStatement[] {
  const prefix = normaliseS3Prefix(backup.prefix);
  return [
    {
      Sid: "EtcdBackupObjects",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:GetObject"],
      Resource: [`${backup.bucketArn}/${prefix}*`],
    },
    {
      Sid: "EtcdBackupList",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [backup.bucketArn],
      Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } },
    },
  ];
}

/** Every backup statement (objects, listing, the key through S3), or none when backups are off. */
export function allBackupStatements(
  scope: AccountScope,
  kmsKeyArn: string,
  backup: BackupLocation | undefined,
): PolicyStatement[] {
  return backup ? [...backupStatements(backup), backupKmsStatement(scope, kmsKeyArn, backup)] : [];
}
