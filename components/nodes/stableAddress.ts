import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { ReservedAddress } from "../../base/masterAddress";
import type { NodeRoleTag } from "../../base/nodeTags";

export interface StableAddressArgs {
  /** Cluster name (the reservation's description). */
  clusterName: string;
  /** The role of the node that owns the address (the description). */
  role: NodeRoleTag;
  /** The etcd member the address belongs to. */
  member: string;
  /** The subnet the address is reserved in: the node's only subnet. */
  subnetId: pulumi.Input<string>;
  /** The reserved block and the address inside it (`masterAddress`, `etcdNodeAddress`). */
  address: ReservedAddress;
}

/**
 * An explicit subnet CIDR reservation around one node's stable address, registered under the
 * caller's `opts.parent`. EC2 never gives addresses of an explicit reservation to anyone: only
 * the owning node's boot assigns its stable address, as a secondary IP of its primary interface.
 */
export function reserveStableAddress(
  name: string,
  args: StableAddressArgs,
  opts: pulumi.CustomResourceOptions,
): aws.ec2.SubnetCidrReservation {
  return new aws.ec2.SubnetCidrReservation(
    name,
    {
      subnetId: args.subnetId,
      cidrBlock: args.address.reservationCidr,
      reservationType: "explicit",
      description: `k8sha ${args.clusterName} ${args.role} ${args.member} stable address ${args.address.address}`,
    },
    opts,
  );
}
