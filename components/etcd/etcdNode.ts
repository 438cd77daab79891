import * as pulumi from "@pulumi/pulumi";
import { nodeTags } from "../../base/nodeTags";
import { TAG_ETCD_MEMBER, TAG_NODE_SPEC } from "../../base/tags";
import { etcdNodeUserDataBase64 } from "../../cloud-init/render";
import type { EtcdNodeBootConfig } from "../../cloud-init/types";
import type { EtcdVolumeConfig } from "../../config/types";
import { bootBundlePrefix } from "../bootBundle";
import { NodeRole } from "../iam/nodeRole";
import { etcdNodePolicy } from "../iam/policyOutputs";
import { createEtcdVolume } from "../nodes/etcdVolume";
import type { MasterBackupArgs, MasterBootBundleArgs } from "../nodes/master";
import type { EtcdMemberNodeArgs } from "../nodes/memberNode";
import { createNodeGroup } from "../nodes/nodeGroup";
import { nodeSpecOutput } from "../nodes/nodeSpec";
import { pinnedToZone } from "../nodes/placement";
import { reserveStableAddress } from "../nodes/stableAddress";
import { ETCD_NODE_GROUP_DEFAULTS } from "../tuning";

/**
 * The boot settings every etcd node shares (plain values; see `EtcdNodeBootConfig`): the region,
 * the etcd release and its tarball's sha256, the etcd tuning.
 */
export type EtcdNodeBootSettings = Pick<
  EtcdNodeBootConfig,
  "region" | "etcdVersion" | "etcdReleaseSha256" | "etcd"
>;

/** What every etcd node of a cluster shares; `EtcdCluster` passes these through unchanged. */
export interface EtcdNodeSharedArgs {
  /** Cluster name (plain: tags, names, IAM conditions). */
  clusterName: string;
  /** Number of etcd members (odd: 3, 5 or 7), written into each member's user-data. */
  members: number;
  /** etcd volume type, size, IOPS, throughput. */
  etcdVolume: EtcdVolumeConfig;
  /** EC2 instance type of the etcd nodes. */
  instanceType: pulumi.Input<string>;
  /** Encrypted root volume size in GiB. */
  rootVolumeGiB: pulumi.Input<number>;
  /** The etcd nodes' security group(s) (`SecurityGroups.etcdSecurityGroupId`). */
  securityGroupIds: pulumi.Input<string>[];
  /** SSM prefix of the cluster secrets (`ClusterSecrets.prefix`): the etcd CA and the state marker. */
  ssmPrefix: string;
  /** KMS key of the cluster secrets (`ClusterSecrets.kmsKeyArn`). */
  kmsKeyArn: pulumi.Input<string>;
  /** Boot settings shared by every etcd node. */
  boot: EtcdNodeBootSettings;
  /** etcd snapshot bucket (the same shape as the masters'); absent disables backups. */
  backup?: MasterBackupArgs;
  /** The etcd role's boot bundle (a `BootBundle` of role `etcd`) and its bucket's ARN. */
  bootBundle: MasterBootBundleArgs;
  /** Resources that must exist before a node launches: the etcd CA in SSM and the `BootBundle` object. */
  bootPrerequisites: pulumi.Input<pulumi.Resource>[];
  /** Tags added to every resource. */
  tags: Record<string, string>;
}

export interface EtcdNodeArgs extends EtcdNodeSharedArgs, EtcdMemberNodeArgs {}

/** `<cluster>-etcd-<index>`: the node's Name tag and its ASG's fixed name (plain, known at preview). */
export function etcdNodeName(clusterName: string, index: number): string {
  return `${clusterName}-etcd-${index}`;
}

/**
 * One dedicated etcd member of the external topology, built like a master from the same
 * blocks: an encrypted etcd EBS volume in its zone, a reserved stable address, an IAM role that
 * may attach only that volume and assign only that address, and a node group of exactly one
 * instance in that zone's private subnet. No load balancer target group: clients reach etcd at
 * the members' stable addresses. As with masters, the ASG has no instance refresh, so one
 * `pulumi up` never replaces several members.
 */
export class EtcdNode extends pulumi.ComponentResource {
  public readonly asgName: pulumi.Output<string>;
  public readonly etcdVolumeId: pulumi.Output<string>;
  public readonly roleArn: pulumi.Output<string>;
  public readonly launchTemplateId: pulumi.Output<string>;
  /** Fingerprint of what the template gives the instance (`nodeSpec.ts`): what its roll gate compares. */
  public readonly nodeSpec: pulumi.Output<string>;

  constructor(name: string, args: EtcdNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:etcd:EtcdNode", name, {}, opts);
    const member = String(args.index);
    const nodeName = etcdNodeName(args.clusterName, args.index);
    const tags = nodeTags({
      clusterName: args.clusterName,
      tags: args.tags,
      role: "etcd",
      roleTags: { [TAG_ETCD_MEMBER]: member },
      name: nodeName,
    });

    const etcd = createEtcdVolume(
      `${name}-etcd`,
      {
        clusterName: args.clusterName,
        member,
        availabilityZone: args.availabilityZone,
        volume: args.etcdVolume,
        kmsKeyArn: args.ebsKmsKeyArn,
        tags,
        retainOnDelete: args.retainEtcdVolumeOnDelete ?? ETCD_NODE_GROUP_DEFAULTS.retainEtcdVolumeOnDelete,
      },
      { parent: this },
    );
    const reservation = reserveStableAddress(
      `${name}-address`,
      {
        clusterName: args.clusterName,
        role: "etcd",
        member,
        subnetId: args.subnetId,
        address: args.stableAddress,
      },
      { parent: this },
    );
    const role = new NodeRole(
      `${name}-iam`,
      {
        description: pulumi.interpolate`k8sha ${args.clusterName} etcd ${member} in ${args.availabilityZone}`,
        policy: etcdNodePolicy({
          clusterName: args.clusterName,
          region: args.boot.region,
          accountId: args.accountId,
          partition: args.partition,
          ...etcd.attachScope,
          stableAddress: { subnetId: args.subnetId, member },
          ssmPrefix: args.ssmPrefix,
          kmsKeyArn: args.kmsKeyArn,
          backup: args.backup ? { bucketArn: args.backup.bucketArn, prefix: args.backup.prefix } : undefined,
          bootBundle: { bucketArn: args.bootBundle.bucketArn, prefix: bootBundlePrefix(args.clusterName) },
        }),
        tags,
      },
      { parent: this },
    );

    const template = {
      imageId: args.imageId,
      instanceType: args.instanceType,
      instanceProfileName: role.instanceProfileName,
      securityGroupIds: args.securityGroupIds,
      rootVolumeGiB: args.rootVolumeGiB,
      ebsKmsKeyArn: args.ebsKmsKeyArn,
      userDataBase64: etcdNodeUserData(args, etcd.volume.id),
    };
    // Everything the template gives the instance, the etcd release included: any change of it is
    // a replacement (the roll gate reads the tag; an etcd node has no in-place upgrade).
    const nodeSpec = nodeSpecOutput(template, args.keepImageId);
    const nodes = createNodeGroup(
      name,
      {
        tags,
        launchTemplate: { ...template, instanceTags: { [TAG_NODE_SPEC]: nodeSpec } },
        keepImageId: args.keepImageId,
        placement: pinnedToZone(args.subnetId),
        // What a "no etcd node in service" alarm reads, as the masters' does (1-minute group metrics).
        enabledMetrics: ["GroupInServiceInstances", "GroupDesiredCapacity"],
        groupName: nodeName,
        healthCheckGraceSeconds: ETCD_NODE_GROUP_DEFAULTS.healthCheckGraceSeconds,
        bootPrerequisites: args.bootPrerequisites,
        // The boot assigns the stable address from the reservation: it must exist first.
        groupDependsOn: [reservation],
      },
      { parent: this },
    );

    this.asgName = nodes.group.name;
    this.etcdVolumeId = etcd.volume.id;
    this.roleArn = role.roleArn;
    this.launchTemplateId = nodes.launchTemplate.id;
    this.nodeSpec = nodeSpec;
    this.registerOutputs({
      nodeSpec: this.nodeSpec,
      asgName: this.asgName,
      etcdVolumeId: this.etcdVolumeId,
      roleArn: this.roleArn,
      launchTemplateId: this.launchTemplateId,
    });
  }
}

/** The etcd node's user-data: gzip + base64, refused at preview time when it outgrows EC2's 16 KB. */
function etcdNodeUserData(args: EtcdNodeArgs, etcdVolumeId: pulumi.Output<string>): pulumi.Output<string> {
  const backup = args.backup;
  const bundle = args.bootBundle;
  return pulumi
    .all([
      args.availabilityZone,
      etcdVolumeId,
      backup?.bucketName,
      pulumi.output({ bucket: bundle.bucket, key: bundle.key, sha256: bundle.sha256 }),
      args.kmsKeyArn,
    ])
    .apply(([zone, volumeId, bucket, bootBundle, kmsKeyArn]) =>
      etcdNodeUserDataBase64({
        ...args.boot,
        clusterName: args.clusterName,
        ssmPrefix: args.ssmPrefix,
        bootBundle,
        memberIndex: args.index,
        memberCount: args.members,
        availabilityZone: zone,
        etcdVolumeId: volumeId,
        stableAddress: args.stableAddress.address,
        memberAddresses: args.memberAddresses,
        backup:
          backup && bucket
            ? { bucket, prefix: backup.prefix, intervalMinutes: backup.intervalMinutes, kmsKeyArn }
            : undefined,
      }),
    );
}
