import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { EtcdVolumeConfig } from "../config/types";
import { nodeImageId } from "./ami";
import { Master, type MasterBackupArgs, type MasterBootBundleArgs, type MasterBootSettings } from "./master";

export interface ControlPlaneArgs {
  /** Cluster name (plain: tags, names, IAM conditions). */
  clusterName: string;
  /** Number of masters, one per zone over the first `count` zones. */
  count: number;
  /** Zones in subnet order; at least `count`. */
  availabilityZones: pulumi.Input<string>[];
  /** Private subnet of each zone, same order as `availabilityZones`. */
  privateSubnetIds: pulumi.Input<string>[];
  etcdVolume: EtcdVolumeConfig;
  /** Keep etcd volumes when Pulumi deletes or replaces them (default true). */
  retainEtcdVolumesOnDelete?: boolean;
  instanceType: pulumi.Input<string>;
  rootVolumeGiB: pulumi.Input<number>;
  /** AMI to use; default the newest Canonical Ubuntu 24.04 LTS amd64. */
  imageId?: pulumi.Input<string>;
  /** The masters' security group(s) (`SecurityGroups.masterSecurityGroupId`). */
  securityGroupIds: pulumi.Input<string>[];
  /** `ApiLoadBalancer.targetGroupArn`. */
  targetGroupArn: pulumi.Input<string>;
  /** `ApiLoadBalancer.dnsName`. */
  apiEndpoint: pulumi.Input<string>;
  /** `ClusterSecrets.prefix`. */
  ssmPrefix: string;
  /** `ClusterSecrets.kmsKeyArn`. */
  kmsKeyArn: pulumi.Input<string>;
  /** Boot settings shared by every master. */
  boot: MasterBootSettings;
  /** etcd snapshot bucket (issue 5); absent disables backups. */
  backup?: MasterBackupArgs;
  /** The master role's boot bundle (`BootBundle` outputs and its bucket's ARN). */
  bootBundle: MasterBootBundleArgs;
  /** Resources every master waits for before launching: `ClusterSecrets` and the `BootBundle`. */
  bootPrerequisites: pulumi.Input<pulumi.Resource>[];
  /** Tags added to every resource. */
  tags: Record<string, string>;
}

/**
 * The control plane: `count` masters, master i in zone i, each with its own etcd volume,
 * IAM role and single-instance ASG (see `Master`). An odd count of at least 3 keeps etcd
 * quorum through the loss of a zone; config validation enforces it.
 */
export class ControlPlane extends pulumi.ComponentResource {
  public readonly masters: Master[];
  /** ASG names, master 0 first. */
  public readonly asgNames: pulumi.Output<string>[];
  /** etcd EBS volume ids, master 0 first. */
  public readonly etcdVolumeIds: pulumi.Output<string>[];
  /** IAM role ARNs, master 0 first. */
  public readonly roleArns: pulumi.Output<string>[];

  constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:controlplane:ControlPlane", name, {}, opts);
    if (!Number.isInteger(args.count) || args.count < 1) {
      throw new Error(`ControlPlane: count must be a positive integer, got ${args.count}`);
    }
    if (args.availabilityZones.length < args.count || args.privateSubnetIds.length < args.count) {
      throw new Error(
        `ControlPlane: ${args.count} masters need ${args.count} zones with a private subnet each; got ` +
          `${args.availabilityZones.length} zones and ${args.privateSubnetIds.length} private subnets`,
      );
    }
    const imageId = nodeImageId({ imageId: args.imageId }, { parent: this });
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;

    this.masters = Array.from(
      { length: args.count },
      (_, index) =>
        new Master(
          `${name}-${index}`,
          {
            clusterName: args.clusterName,
            index,
            count: args.count,
            availabilityZone: args.availabilityZones[index],
            subnetId: args.privateSubnetIds[index],
            etcdVolume: args.etcdVolume,
            retainEtcdVolumeOnDelete: args.retainEtcdVolumesOnDelete,
            instanceType: args.instanceType,
            rootVolumeGiB: args.rootVolumeGiB,
            imageId,
            securityGroupIds: args.securityGroupIds,
            targetGroupArn: args.targetGroupArn,
            apiEndpoint: args.apiEndpoint,
            accountId: identity.accountId,
            partition,
            ssmPrefix: args.ssmPrefix,
            kmsKeyArn: args.kmsKeyArn,
            boot: args.boot,
            backup: args.backup,
            bootBundle: args.bootBundle,
            bootPrerequisites: args.bootPrerequisites,
            tags: args.tags,
          },
          { parent: this },
        ),
    );
    this.asgNames = this.masters.map((m) => m.asgName);
    this.etcdVolumeIds = this.masters.map((m) => m.etcdVolumeId);
    this.roleArns = this.masters.map((m) => m.roleArn);
    this.registerOutputs({
      asgNames: this.asgNames,
      etcdVolumeIds: this.etcdVolumeIds,
      roleArns: this.roleArns,
    });
  }
}
