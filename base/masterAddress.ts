/**
 * Each master's stable private IPv4 address, for the life of the cluster. etcd names a member
 * by its peer URL; with a fixed address per master a replacement instance takes over its
 * predecessor's address (a secondary private IP on its primary interface, assigned at boot) and
 * its etcd member comes back exactly as it was: no `member update`, no healthy peer, no quorum
 * needed first. kops gets the same from stable member DNS names.
 *
 * The address lives in an explicit subnet CIDR reservation, so EC2 never hands it (or its
 * neighbours) to another interface: the second /28 of the master's private subnet (the first
 * holds the four addresses AWS reserves at a subnet's start). Master i takes the block's
 * address 4 + i, so even two masters that shared a subnet would never collide.
 */
import { cidrSubnet, formatCidr, formatIpv4, mustParseCidr } from "./cidr";

/** The size of the reserved block in each master subnet. */
export const MASTER_RESERVATION_PREFIX = 28;
/** The largest prefix a master subnet may have: it must hold a second /28. */
export const MAX_MASTER_SUBNET_PREFIX = MASTER_RESERVATION_PREFIX - 1;
/** Offset of master 0's address inside the reserved block. */
const FIRST_ADDRESS_OFFSET = 4;

export interface MasterAddress {
  /** The explicit reservation in the master's subnet, e.g. `10.0.0.16/28`. */
  reservationCidr: string;
  /** The master's stable address inside it, e.g. `10.0.0.20`. */
  address: string;
}

/** The reservation and stable address of master `index`, whose private subnet is `subnetCidr`. */
export function masterAddress(subnetCidr: string, index: number): MasterAddress {
  const subnet = mustParseCidr(subnetCidr);
  if (subnet.prefix > MAX_MASTER_SUBNET_PREFIX) {
    throw new Error(
      `master subnet ${subnetCidr} is smaller than a /${MAX_MASTER_SUBNET_PREFIX}: no room for its /${MASTER_RESERVATION_PREFIX} address reservation`,
    );
  }
  const offset = FIRST_ADDRESS_OFFSET + index;
  if (offset >= 2 ** (32 - MASTER_RESERVATION_PREFIX) - 1) {
    throw new Error(`master index ${index} does not fit the /${MASTER_RESERVATION_PREFIX} reservation`);
  }
  const block = cidrSubnet(subnet, MASTER_RESERVATION_PREFIX - subnet.prefix, 1);
  return {
    reservationCidr: formatCidr(block),
    address: formatIpv4(block.network + offset),
  };
}
