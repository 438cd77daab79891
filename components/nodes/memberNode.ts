import type * as pulumi from "@pulumi/pulumi";
import type { ReservedAddress } from "../../base/masterAddress";

/**
 * Where one etcd member's node lives and what it is built from, the same for a master of the
 * stacked topology and a dedicated etcd node of the external one: its position, zone, subnet,
 * stable address, volume policy, image and account.
 */
export interface EtcdMemberNodeArgs {
  /**
   * 0-based member position: the etcd-member tag value and the suffix of the node's name. Of the
   * masters, master 0 alone may run `kubeadm init`.
   */
  index: number;
  /** The node's zone; its etcd volume is created there. */
  availabilityZone: pulumi.Input<string>;
  /** The private subnet of `availabilityZone`: the ASG's only subnet, which pins the node to the zone. */
  subnetId: pulumi.Input<string>;
  /** This member's stable address and its reserved block in `subnetId` (`masterAddress`, `etcdNodeAddress`). */
  stableAddress: ReservedAddress;
  /** Every member's stable address, member 0 first. */
  memberAddresses: string[];
  /** Keep the etcd volume when Pulumi deletes or replaces it (default true: it holds the member's data). */
  retainEtcdVolumeOnDelete?: boolean;
  /** AMI id (see `nodeImageId`). */
  imageId: pulumi.Input<string>;
  /** Keep the launch template's image id after creation: set when `imageId` was looked up, not configured. */
  keepImageId?: boolean;
  /** ARN of the KMS key of the root and etcd volumes (`ebsKeyArn`). */
  ebsKmsKeyArn: pulumi.Input<string>;
  /** Account of the IAM resource ARNs (the region is `boot.region`). */
  accountId: pulumi.Input<string>;
  /** Partition of the IAM resource ARNs (default `aws`). */
  partition?: pulumi.Input<string>;
}
