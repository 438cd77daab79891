import * as pulumi from "@pulumi/pulumi";
import { nodeTags } from "../../base/nodeTags";
import { TAG_ETCD_MEMBER, TAG_KUBERNETES_VERSION, TAG_NODE_SPEC } from "../../base/tags";
import { masterUserDataBase64 } from "../../cloud-init/render";
import type { MasterBootConfig } from "../../cloud-init/types";
import type { EtcdVolumeConfig } from "../../config/types";
import { type BootBundleRefArgs, bootBundlePrefix } from "../bootBundle";
import { MASTER_GROUP_DEFAULTS } from "../tuning";
import { createEtcdVolume } from "./etcdVolume";
import { masterInstanceRole } from "./instanceRole";
import type { EtcdMemberNodeArgs } from "./memberNode";
import { createNodeGroup } from "./nodeGroup";
import { NODE_SPEC_VERSION_PLACEHOLDER, nodeSpecOutput } from "./nodeSpec";
import { pinnedToZone } from "./placement";
import { reserveStableAddress } from "./stableAddress";

/** The boot settings every master shares (plain values; see `MasterBootConfig`). */
export type MasterBootSettings = Omit<
  MasterBootConfig,
  | "clusterName"
  | "ssmPrefix"
  | "masterIndex"
  | "masterCount"
  | "availabilityZone"
  | "etcdVolumeId"
  | "stableAddress"
  | "memberAddresses"
  | "apiEndpoint"
  | "backup"
  | "bootBundle"
  | "serviceAccountIssuer"
>;

/** The master bundle (`BootBundle` outputs) plus its bucket's ARN, which scopes the IAM read. */
export interface MasterBootBundleArgs extends BootBundleRefArgs {
  /** The bundle bucket's ARN: scopes the master role's `s3:GetObject`. */
  bucketArn: pulumi.Input<string>;
}

/** Where etcd snapshots go; absent disables backups. */
export interface MasterBackupArgs {
  /** Backup bucket ARN: scopes the master role's S3 permissions. */
  bucketArn: pulumi.Input<string>;
  /** Backup bucket name, written into user-data for the backup timer. */
  bucketName: pulumi.Input<string>;
  /** Key prefix of this cluster's snapshots. */
  prefix: string;
  /** Minutes between snapshots (systemd timer). */
  intervalMinutes: number;
}

/** What every master of a control plane shares; `ControlPlane` passes these through unchanged. */
export interface MasterSharedArgs {
  /** Cluster name (plain: tags, names, IAM conditions). */
  clusterName: string;
  /** Number of masters in the control plane. */
  count: number;
  /** etcd volume type, size, IOPS, throughput. */
  etcdVolume: EtcdVolumeConfig;
  /** EC2 instance type of the masters. */
  instanceType: pulumi.Input<string>;
  /** Encrypted root volume size in GiB. */
  rootVolumeGiB: pulumi.Input<number>;
  /** The masters' security group(s) (`SecurityGroups.masterSecurityGroupId`). */
  securityGroupIds: pulumi.Input<string>[];
  /** API load balancer target group the ASG registers the master with (`ApiLoadBalancer.targetGroupArn`). */
  targetGroupArn: pulumi.Input<string>;
  /** API load balancer DNS name, kubeadm's controlPlaneEndpoint host (`ApiLoadBalancer.dnsName`). */
  apiEndpoint: pulumi.Input<string>;
  /** SSM prefix of the cluster secrets (`ClusterSecrets.prefix`). */
  ssmPrefix: string;
  /** KMS key of the cluster secrets (`ClusterSecrets.kmsKeyArn`). */
  kmsKeyArn: pulumi.Input<string>;
  /** Boot settings shared by every master. */
  boot: MasterBootSettings;
  /** etcd snapshot bucket; absent disables backups. */
  backup?: MasterBackupArgs;
  /**
   * The public service-account issuer the add-on roles trust (`ServiceAccountIssuer`): the API
   * servers sign with it first and advertise its JWKS. Absent: kubeadm's default issuer only.
   */
  serviceAccountIssuer?: { issuerUrl: pulumi.Input<string>; jwksUri: pulumi.Input<string> };
  /** The master role's boot bundle, downloaded and verified by the bootstrap in user-data. */
  bootBundle: MasterBootBundleArgs;
  /**
   * Resources that must exist before a master launches: the SSM parameters it reads at boot
   * (`ClusterSecrets`) and the `BootBundle` object.
   */
  bootPrerequisites: pulumi.Input<pulumi.Resource>[];
  /** Tags added to every resource. */
  tags: Record<string, string>;
}

export interface MasterArgs extends MasterSharedArgs, EtcdMemberNodeArgs {}

/** `<cluster>-master-<index>`: the node's Name tag and its ASG's fixed name (plain, known at preview). */
export function masterNodeName(clusterName: string, index: number): string {
  return `${clusterName}-master-${index}`;
}

/**
 * One control-plane node, kops-style: an encrypted etcd EBS volume in its zone, a reserved
 * stable address, an IAM role that may attach only that volume, and a node group (hardened
 * launch template, ASG) of exactly one instance in that zone's private subnet.
 *
 * The ASG has no instance refresh: a new launch-template version applies only when this
 * master's instance is next replaced, so one `pulumi up` can never roll several masters.
 */
export class Master extends pulumi.ComponentResource {
  public readonly asgName: pulumi.Output<string>;
  /** Absent with external etcd: the master holds no etcd data. */
  public readonly etcdVolumeId?: pulumi.Output<string>;
  public readonly roleArn: pulumi.Output<string>;
  public readonly launchTemplateId: pulumi.Output<string>;
  /** Fingerprint of what the template gives the instance, the Kubernetes version left out (`nodeSpec.ts`). */
  public readonly nodeSpec: pulumi.Output<string>;

  constructor(name: string, args: MasterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:controlplane:Master", name, {}, opts);
    const member = String(args.index);
    const nodeName = masterNodeName(args.clusterName, args.index);
    const tags = nodeTags({
      clusterName: args.clusterName,
      tags: args.tags,
      role: "master",
      roleTags: { [TAG_ETCD_MEMBER]: member },
      name: nodeName,
    });

    // External etcd: the master holds no etcd data, so it has no volume to claim.
    const external = args.boot.externalEtcd !== undefined;
    const etcd = external
      ? undefined
      : createEtcdVolume(
          `${name}-etcd`,
          {
            clusterName: args.clusterName,
            member,
            availabilityZone: args.availabilityZone,
            volume: args.etcdVolume,
            kmsKeyArn: args.ebsKmsKeyArn,
            tags,
            retainOnDelete: args.retainEtcdVolumeOnDelete,
          },
          { parent: this },
        );
    const reservation = reserveStableAddress(
      `${name}-address`,
      {
        clusterName: args.clusterName,
        role: "master",
        member,
        subnetId: args.subnetId,
        address: args.stableAddress,
      },
      { parent: this },
    );
    const role = masterInstanceRole(
      `${name}-iam`,
      {
        policy: {
          clusterName: args.clusterName,
          region: args.boot.region,
          accountId: args.accountId,
          partition: args.partition,
          ...etcd?.attachScope,
          stableAddress: { subnetId: args.subnetId, member },
          ssmPrefix: args.ssmPrefix,
          kmsKeyArn: args.kmsKeyArn,
          // External etcd: the etcd nodes take the snapshots; a master neither writes nor restores them.
          backup:
            args.backup && !external
              ? { bucketArn: args.backup.bucketArn, prefix: args.backup.prefix }
              : undefined,
          bootBundle: { bucketArn: args.bootBundle.bucketArn, prefix: bootBundlePrefix(args.clusterName) },
        },
        member,
        availabilityZone: args.availabilityZone,
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
    };
    // The same template with the version replaced: what a version-only change leaves alone.
    const nodeSpec = nodeSpecOutput(
      {
        ...template,
        userDataBase64: masterUserData(args, etcd?.volume.id, NODE_SPEC_VERSION_PLACEHOLDER),
      },
      args.keepImageId,
    );
    const nodes = createNodeGroup(
      name,
      {
        tags,
        launchTemplate: {
          ...template,
          userDataBase64: masterUserData(args, etcd?.volume.id, args.boot.kubernetesVersion),
          // Read by the roll gate: replace when the spec differs, upgrade in place when only the version does.
          instanceTags: { [TAG_NODE_SPEC]: nodeSpec, [TAG_KUBERNETES_VERSION]: args.boot.kubernetesVersion },
        },
        keepImageId: args.keepImageId,
        placement: pinnedToZone(args.subnetId),
        // The monitoring's "no master in service" alarm reads these (1-minute group metrics).
        enabledMetrics: ["GroupInServiceInstances", "GroupDesiredCapacity"],
        groupName: nodeName,
        healthCheckGraceSeconds: MASTER_GROUP_DEFAULTS.healthCheckGraceSeconds,
        targetGroupArns: [args.targetGroupArn],
        bootPrerequisites: args.bootPrerequisites,
        // The boot assigns the stable address from the reservation: it must exist first.
        groupDependsOn: [reservation],
      },
      { parent: this },
    );

    this.asgName = nodes.group.name;
    this.etcdVolumeId = etcd?.volume.id;
    this.roleArn = role.roleArn;
    this.launchTemplateId = nodes.launchTemplate.id;
    this.nodeSpec = nodeSpec;
    this.registerOutputs({
      asgName: this.asgName,
      etcdVolumeId: this.etcdVolumeId,
      roleArn: this.roleArn,
      launchTemplateId: this.launchTemplateId,
      nodeSpec: this.nodeSpec,
    });
  }
}

/**
 * The master's user-data for `kubernetesVersion`: gzip + base64, refused at preview time when it
 * outgrows EC2's 16 KB.
 */
function masterUserData(
  args: MasterArgs,
  etcdVolumeId: pulumi.Output<string> | undefined,
  kubernetesVersion: string,
): pulumi.Output<string> {
  const backup = args.boot.externalEtcd ? undefined : args.backup;
  const bundle = args.bootBundle;
  const issuer = args.serviceAccountIssuer;
  return pulumi
    .all([
      args.availabilityZone,
      etcdVolumeId,
      args.apiEndpoint,
      backup?.bucketName,
      pulumi.output({ bucket: bundle.bucket, key: bundle.key, sha256: bundle.sha256 }),
      args.kmsKeyArn,
      issuer && pulumi.output({ issuerUrl: issuer.issuerUrl, jwksUri: issuer.jwksUri }),
    ])
    .apply(([zone, volumeId, apiEndpoint, bucket, bootBundle, kmsKeyArn, serviceAccountIssuer]) =>
      masterUserDataBase64({
        ...args.boot,
        kubernetesVersion,
        clusterName: args.clusterName,
        ssmPrefix: args.ssmPrefix,
        masterIndex: args.index,
        masterCount: args.count,
        availabilityZone: zone,
        etcdVolumeId: volumeId,
        stableAddress: args.stableAddress.address,
        memberAddresses: args.memberAddresses,
        apiEndpoint,
        backup:
          backup && bucket
            ? { bucket, prefix: backup.prefix, intervalMinutes: backup.intervalMinutes, kmsKeyArn }
            : undefined,
        bootBundle,
        serviceAccountIssuer,
      }),
    );
}
