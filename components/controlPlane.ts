import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { masterAddress, type ReservedAddress } from "../base/masterAddress";
import type { ClusterSpec, RollingConfig } from "../config/types";
import { nodeImageId } from "./nodes/ami";
import { ebsKeyArn } from "./nodes/ebsKey";
import { Master, type MasterBootSettings, type MasterSharedArgs, masterNodeName } from "./nodes/master";
import { RollGate } from "./rollGate";

/** What an external master needs of the etcd nodes: their client URLs and their release. */
function externalEtcdBoot(spec: ClusterSpec, endpoints: string[]) {
  const { version, releaseSha256 } = spec.etcd;
  if (!version || !releaseSha256)
    throw new Error("etcd.topology external: the resolved spec lacks etcd.version or etcd.releaseSha256");
  return { endpoints, version, releaseSha256 };
}

/**
 * Every master's boot settings from the resolved spec. `externalEtcdEndpoints` (the etcd nodes'
 * client URLs, member 0 first) makes the masters stateless clients of external etcd.
 */
export function masterBootSettings(spec: ClusterSpec, externalEtcdEndpoints?: string[]): MasterBootSettings {
  return {
    region: spec.region,
    kubernetesVersion: spec.kubernetesVersion,
    podCidr: spec.network.podCidr,
    serviceCidr: spec.network.serviceCidr,
    etcd: spec.etcd,
    leaderElection: spec.leaderElection,
    cni: spec.cni,
    extraCertSans: [],
    cloudControllerManager: spec.addons.cloudControllerManager.enabled,
    ...(externalEtcdEndpoints ? { externalEtcd: externalEtcdBoot(spec, externalEtcdEndpoints) } : {}),
  };
}

export interface ControlPlaneArgs extends MasterSharedArgs {
  /** Number of masters, one per zone over the first `count` zones. */
  count: number;
  /** Zones in subnet order; at least `count`. */
  availabilityZones: pulumi.Input<string>[];
  /** Private subnet of each zone, same order as `availabilityZones`. */
  privateSubnetIds: pulumi.Input<string>[];
  /** CIDR of each private subnet, same order: each master's stable address is reserved in it. */
  privateSubnetCidrs: string[];
  /** Keep etcd volumes when Pulumi deletes or replaces them (default true). */
  retainEtcdVolumesOnDelete?: boolean;
  /**
   * AMI to use. Absent: the newest Canonical Ubuntu 24.04 LTS amd64 at the templates' creation,
   * then kept (`keepImageId`), so a new release does not change the templates by itself.
   */
  imageId?: pulumi.Input<string>;
  /**
   * Health-gated rolls: a `RollGate` per master, master i+1's template and ASG after gate i, so
   * one `pulumi up` replaces or upgrades at most one master at a time (docs/rolling.md). Absent
   * or not `enabled`: no gates; a template change reaches a master only when it is replaced by hand.
   */
  rolling?: RollingConfig;
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
  /** etcd EBS volume ids, master 0 first; empty with external etcd (`boot.externalEtcd`). */
  public readonly etcdVolumeIds: pulumi.Output<string>[];
  /** IAM role ARNs, master 0 first. */
  public readonly roleArns: pulumi.Output<string>[];
  /** Each master's stable private address (its etcd member's address), master 0 first. */
  public readonly stableAddresses: string[];
  /** One per master, master 0 first; empty when rolling is off. */
  public readonly rollGates: RollGate[];
  /** The last master's gate: passed only when every master runs its template; absent when rolling is off. */
  public readonly lastRollGate?: RollGate;

  constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:controlplane:ControlPlane", name, {}, opts);
    if (!Number.isInteger(args.count) || args.count < 1) {
      throw new Error(`ControlPlane: count must be a positive integer, got ${args.count}`);
    }
    if (
      args.availabilityZones.length < args.count ||
      args.privateSubnetIds.length < args.count ||
      args.privateSubnetCidrs.length < args.count
    ) {
      throw new Error(
        `ControlPlane: ${args.count} masters need ${args.count} zones with a private subnet each; got ` +
          `${args.availabilityZones.length} zones, ${args.privateSubnetIds.length} private subnets and ` +
          `${args.privateSubnetCidrs.length} subnet CIDRs`,
      );
    }
    const imageId = nodeImageId({ imageId: args.imageId }, { parent: this });
    const ebsKmsKeyArn = ebsKeyArn({ parent: this });
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;

    // ControlPlane-only fields become per-master values below; the rest (MasterSharedArgs) passes through.
    const {
      availabilityZones,
      privateSubnetIds,
      privateSubnetCidrs,
      retainEtcdVolumesOnDelete,
      imageId: _image,
      rolling,
      ...shared
    } = args;
    const addresses = Array.from({ length: args.count }, (_, index) =>
      masterAddress(privateSubnetCidrs[index] as string, index),
    );
    const masters: Master[] = [];
    const gates: RollGate[] = [];
    const groupNames = addresses.map((_, index) => masterNodeName(args.clusterName, index));
    for (let index = 0; index < args.count; index++) {
      const previous = gates[index - 1];
      const master = new Master(
        `${name}-${index}`,
        {
          ...shared,
          // Master i+1 changes only after master i's roll passed.
          bootPrerequisites: previous ? [...shared.bootPrerequisites, previous] : shared.bootPrerequisites,
          index,
          availabilityZone: availabilityZones[index],
          subnetId: privateSubnetIds[index],
          stableAddress: addresses[index] as ReservedAddress,
          memberAddresses: addresses.map((a) => a.address),
          retainEtcdVolumeOnDelete: retainEtcdVolumesOnDelete,
          imageId,
          keepImageId: args.imageId === undefined,
          ebsKmsKeyArn,
          accountId: identity.accountId,
          partition,
        },
        { parent: this },
      );
      masters.push(master);
      if (!rolling?.enabled) continue;
      const address = addresses[index] as ReservedAddress;
      gates.push(
        new RollGate(
          `${name}-${index}-roll`,
          {
            region: args.boot.region,
            clusterName: args.clusterName,
            member: index,
            masterCount: args.count,
            asgName: master.asgName,
            masterAsgNames: groupNames,
            targetGroupArn: args.targetGroupArn,
            stableAddress: address.address,
            nodeSpec: master.nodeSpec,
            kubernetesVersion: args.boot.kubernetesVersion,
            backup: args.backup
              ? { bucketName: args.backup.bucketName, prefix: args.backup.prefix }
              : undefined,
            backupMaxAgeMinutes: rolling.backupMaxAgeMinutes,
            timeoutMinutes: rolling.timeoutMinutes,
            waitFor: [master],
          },
          { parent: this },
        ),
      );
    }
    this.masters = masters;
    this.rollGates = gates;
    this.lastRollGate = gates[gates.length - 1];
    this.asgNames = this.masters.map((m) => m.asgName);
    this.etcdVolumeIds = this.masters.flatMap((m) => (m.etcdVolumeId ? [m.etcdVolumeId] : []));
    this.roleArns = this.masters.map((m) => m.roleArn);
    this.stableAddresses = addresses.map((a) => a.address);
    this.registerOutputs({
      stableAddresses: this.stableAddresses,
      asgNames: this.asgNames,
      etcdVolumeIds: this.etcdVolumeIds,
      roleArns: this.roleArns,
    });
  }
}
