/**
 * Each master's (and, in the external etcd topology, each etcd node's) stable private IPv4
 * address, for the life of the cluster. etcd names a member by its peer URL; with a fixed
 * address per member a replacement instance takes over its predecessor's address (a secondary
 * private IP on its primary interface, assigned at boot) and its etcd member comes back exactly
 * as it was: no `member update`, no healthy peer, no quorum needed first. kops gets the same
 * from stable member DNS names.
 *
 * The address lives in an explicit subnet CIDR reservation, so EC2 never hands it (or its
 * neighbours) to another interface. The private subnet is cut into /28 blocks: the first holds
 * the four addresses AWS reserves at a subnet's start, the second is the masters', the third the
 * etcd nodes'. Node i takes its block's address 4 + i, so even two nodes of one role that shared
 * a subnet would never collide, and a master and an etcd node never share a block.
 */
import { cidrSubnet, formatCidr, formatIpv4, mustParseCidr } from "./cidr";

/** The size of each reserved block in a private subnet. */
export const MASTER_RESERVATION_PREFIX = 28;
/** Which /28 of the private subnet each role's addresses are reserved in. */
const RESERVATION_BLOCK = { master: 1, "etcd node": 2 } as const;
type ReservingRole = keyof typeof RESERVATION_BLOCK;

/** The largest prefix a subnet may have and still hold `role`'s block. */
function maxSubnetPrefix(role: ReservingRole): number {
  return MASTER_RESERVATION_PREFIX - Math.ceil(Math.log2(RESERVATION_BLOCK[role] + 1));
}

/** The largest prefix a master subnet may have: it must hold a second /28. */
export const MAX_MASTER_SUBNET_PREFIX = maxSubnetPrefix("master");
/** The largest prefix a subnet of etcd nodes may have: it must hold a third /28 (a /26). */
export const MAX_ETCD_NODE_SUBNET_PREFIX = maxSubnetPrefix("etcd node");
/** Offset of node 0's address inside its reserved block. */
const FIRST_ADDRESS_OFFSET = 4;

/** A node's stable address and the explicit reservation around it. */
export interface ReservedAddress {
  /** The explicit reservation in the node's subnet, e.g. `10.0.0.16/28`. */
  reservationCidr: string;
  /** The node's stable address inside it, e.g. `10.0.0.20`. */
  address: string;
}

function reservedAddress(role: ReservingRole, subnetCidr: string, index: number): ReservedAddress {
  const subnet = mustParseCidr(subnetCidr);
  const maxPrefix = maxSubnetPrefix(role);
  if (subnet.prefix > maxPrefix) {
    throw new Error(
      `${role} subnet ${subnetCidr} is smaller than a /${maxPrefix}: no room for its /${MASTER_RESERVATION_PREFIX} address reservation`,
    );
  }
  const offset = FIRST_ADDRESS_OFFSET + index;
  // The block's last address is its broadcast address in EC2's reckoning: never assignable.
  if (offset >= 2 ** (32 - MASTER_RESERVATION_PREFIX) - 1) {
    throw new Error(`${role} index ${index} does not fit the /${MASTER_RESERVATION_PREFIX} reservation`);
  }
  const block = cidrSubnet(subnet, MASTER_RESERVATION_PREFIX - subnet.prefix, RESERVATION_BLOCK[role]);
  return {
    reservationCidr: formatCidr(block),
    address: formatIpv4(block.network + offset),
  };
}

/** The reservation and stable address of master `index`, whose private subnet is `subnetCidr`. */
export function masterAddress(subnetCidr: string, index: number): ReservedAddress {
  return reservedAddress("master", subnetCidr, index);
}

/**
 * The reservation and stable address of etcd node `index` (external topology), whose private
 * subnet is `subnetCidr`: the subnet's third /28, so the subnet must be a /26 or larger.
 */
export function etcdNodeAddress(subnetCidr: string, index: number): ReservedAddress {
  return reservedAddress("etcd node", subnetCidr, index);
}
