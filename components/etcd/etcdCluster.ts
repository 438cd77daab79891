import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { etcdNodeAddress, type ReservedAddress } from "../../base/masterAddress";
import { ETCD_CLIENT_PORT } from "../../base/ports";
import type { RollingConfig } from "../../config/types";
import { nodeImageId } from "../nodes/ami";
import { ebsKeyArn } from "../nodes/ebsKey";
import { EtcdNode, type EtcdNodeSharedArgs, etcdNodeName } from "./etcdNode";
import { EtcdRollGate, type EtcdRollGateMasters } from "./etcdRollGate";

export interface EtcdClusterArgs extends EtcdNodeSharedArgs {
  /** Zones in subnet order; member i runs in zone i, so at least `members` of them. */
  availabilityZones: pulumi.Input<string>[];
  /** Private subnet of each zone, same order as `availabilityZones`. */
  privateSubnetIds: pulumi.Input<string>[];
  /**
   * CIDR of each private subnet, same order (plain: the addresses are computed at preview). Each
   * member's stable address is reserved in the third /28 of its subnet, so each must be a /26 or larger.
   */
  privateSubnetCidrs: string[];
  /** Keep etcd volumes when Pulumi deletes or replaces them (default true). */
  retainEtcdVolumesOnDelete?: boolean;
  /**
   * AMI to use. Absent: the newest Canonical Ubuntu 24.04 LTS amd64 at the templates' creation,
   * then kept (`keepImageId`), so a new release does not change the templates by itself.
   */
  imageId?: pulumi.Input<string>;
  /**
   * Health-gated rolls: an `EtcdRollGate` per member, member i+1's template and ASG after gate i,
   * so one `pulumi up` replaces at most one etcd node at a time (docs/rolling.md). Absent or
   * disabled: a node changes only when replaced by hand. Needs `rollingMasters`.
   */
  rolling?: RollingConfig;
  /** The masters the gates run their checks on (required when `rolling.enabled`). */
  rollingMasters?: EtcdRollGateMasters;
  /** AWS region: where the gates' AWS calls go (required when `rolling.enabled`). */
  region?: pulumi.Input<string>;
}

/** `https://<address>:2379`: how a client (kube-apiserver's `etcd.external.endpoints`) names a member. */
export function etcdClientEndpoint(address: string): string {
  return `https://${address}:${ETCD_CLIENT_PORT}`;
}

/** Member i's reservation in subnet i, with a refusal that names the field and the member. */
function memberAddresses(members: number, subnetCidrs: string[]): ReservedAddress[] {
  return Array.from({ length: members }, (_, index) => {
    const cidr = subnetCidrs[index] as string;
    try {
      return etcdNodeAddress(cidr, index);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`EtcdCluster: privateSubnetCidrs[${index}] (member ${index}): ${reason}`);
    }
  });
}

function validate(args: EtcdClusterArgs): void {
  const n = args.members;
  // An even member count tolerates no more failures than the odd count below it, and a tie can
  // split the vote: etcd's own guidance, and what config/validate-etcd.ts enforces for stacks.
  if (!Number.isInteger(n) || n < 1 || n % 2 === 0) {
    throw new Error(`EtcdCluster: members must be a positive odd integer (3, 5 or 7 for HA), got ${n}`);
  }
  const lengths = {
    availabilityZones: args.availabilityZones.length,
    privateSubnetIds: args.privateSubnetIds.length,
    privateSubnetCidrs: args.privateSubnetCidrs.length,
  };
  const short = Object.entries(lengths).filter(([, length]) => length < n);
  if (short.length > 0) {
    throw new Error(
      `EtcdCluster: ${n} members need one zone with a private subnet each; ` +
        short.map(([field, length]) => `${field} has ${length}`).join(", "),
    );
  }
  // Zones known at construction must be distinct: two members in one zone lose quorum with it.
  const plainZones = args.availabilityZones.slice(0, n).filter((z): z is string => typeof z === "string");
  const repeated = plainZones.filter((zone, i) => plainZones.indexOf(zone) !== i);
  if (repeated.length > 0) {
    throw new Error(`EtcdCluster: availabilityZones must be distinct per member, ${repeated[0]} repeats`);
  }
}

/**
 * The dedicated etcd cluster of the external topology: `members` etcd nodes, member i in zone i,
 * each with its own etcd volume, stable address, IAM role and single-instance ASG (see
 * `EtcdNode`). Masters reach it at `clientEndpoints`; it runs no Kubernetes component.
 */
export class EtcdCluster extends pulumi.ComponentResource {
  public readonly nodes: EtcdNode[];
  /** `https://<stable address>:2379` of each member, member 0 first: the API servers' etcd endpoints. */
  public readonly clientEndpoints: string[];
  /** Each member's stable private address, member 0 first. */
  public readonly stableAddresses: string[];
  /** ASG names, member 0 first. */
  public readonly asgNames: pulumi.Output<string>[];
  /** etcd EBS volume ids, member 0 first. */
  public readonly etcdVolumeIds: pulumi.Output<string>[];
  /** IAM role ARNs, member 0 first. */
  public readonly roleArns: pulumi.Output<string>[];
  /** One per member, member 0 first; empty when rolling is off. */
  public readonly rollGates: EtcdRollGate[];
  /** The last member's gate: passed only when every etcd node runs its template; absent when rolling is off. */
  public readonly lastRollGate?: EtcdRollGate;

  constructor(name: string, args: EtcdClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:etcd:EtcdCluster", name, {}, opts);
    validate(args);
    const addresses = memberAddresses(args.members, args.privateSubnetCidrs);
    const imageId = nodeImageId({ imageId: args.imageId }, { parent: this });
    const ebsKmsKeyArn = ebsKeyArn({ parent: this });
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;

    // EtcdCluster-only fields become per-member values below; the rest (EtcdNodeSharedArgs) passes through.
    const {
      availabilityZones,
      privateSubnetIds,
      privateSubnetCidrs: _cidrs,
      retainEtcdVolumesOnDelete,
      imageId: _image,
      ...shared
    } = args;
    const { rolling, rollingMasters, region, ...nodeShared } = shared;
    if (rolling?.enabled && (!rollingMasters || region === undefined)) {
      throw new Error(
        "EtcdCluster: rolling.enabled needs rollingMasters and region (the gates run their checks on a master)",
      );
    }
    const groupNames = addresses.map((_, index) => etcdNodeName(args.clusterName, index));
    const nodes: EtcdNode[] = [];
    const gates: EtcdRollGate[] = [];
    for (const [index, address] of addresses.entries()) {
      const previous = gates[index - 1];
      const node = new EtcdNode(
        `${name}-${index}`,
        {
          ...nodeShared,
          // Member i+1 changes only after member i's roll passed.
          bootPrerequisites: previous
            ? [...nodeShared.bootPrerequisites, previous]
            : nodeShared.bootPrerequisites,
          index,
          availabilityZone: availabilityZones[index] as pulumi.Input<string>,
          subnetId: privateSubnetIds[index] as pulumi.Input<string>,
          stableAddress: address,
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
      nodes.push(node);
      if (!rolling?.enabled || !rollingMasters || region === undefined) continue;
      gates.push(
        new EtcdRollGate(
          `${name}-${index}-roll`,
          {
            region,
            clusterName: args.clusterName,
            member: index,
            members: args.members,
            asgName: node.asgName,
            etcdAsgNames: groupNames,
            masters: rollingMasters,
            stableAddress: address.address,
            nodeSpec: node.nodeSpec,
            backup: args.backup
              ? { bucketName: args.backup.bucketName, prefix: args.backup.prefix }
              : undefined,
            backupMaxAgeMinutes: rolling.backupMaxAgeMinutes,
            timeoutMinutes: rolling.timeoutMinutes,
            waitFor: [node],
          },
          { parent: this },
        ),
      );
    }
    this.nodes = nodes;
    this.rollGates = gates;
    this.lastRollGate = gates[gates.length - 1];
    this.stableAddresses = addresses.map((a) => a.address);
    this.clientEndpoints = this.stableAddresses.map(etcdClientEndpoint);
    this.asgNames = this.nodes.map((node) => node.asgName);
    this.etcdVolumeIds = this.nodes.map((node) => node.etcdVolumeId);
    this.roleArns = this.nodes.map((node) => node.roleArn);
    this.registerOutputs({
      clientEndpoints: this.clientEndpoints,
      stableAddresses: this.stableAddresses,
      asgNames: this.asgNames,
      etcdVolumeIds: this.etcdVolumeIds,
      roleArns: this.roleArns,
    });
  }
}
