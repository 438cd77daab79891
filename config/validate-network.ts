/** network.* and api.*: CIDRs, NAT layout, bring-your-own VPC, API exposure. */

import { cidrContains, cidrsOverlap, type Ipv4Cidr, parseCidr } from "../base/cidr";
import { MAX_ETCD_NODE_SUBNET_PREFIX, MAX_MASTER_SUBNET_PREFIX } from "../base/masterAddress";
import { API_PORT } from "../base/ports";
import { API_DEFAULTS, NETWORK_DEFAULTS } from "./defaults";
import type { Problems } from "./errors";
import { EXISTING_VPC_PREFIX, POD_PREFIX, SERVICE_PREFIX, VPC_PREFIX } from "./limits";
import type { Section } from "./reader";
import { SECTION_KEYS } from "./schema";
import type {
  ApiConfig,
  ApiExposure,
  EtcdConfig,
  ExistingVpcConfig,
  NatGatewayMode,
  NetworkConfig,
} from "./types";
import type { Placement } from "./validate-cluster";

const NAT_MODES: readonly NatGatewayMode[] = ["single", "perAz"];
const EXPOSURES: readonly ApiExposure[] = ["public", "internal"];

/** Parses `section[key]` as a CIDR within a prefix range; undefined (with a problem) when bad. */
function readCidr(
  section: Section,
  key: string,
  fallback: string,
  prefix: { min: number; max: number },
  why: string,
): { text: string; cidr?: Ipv4Cidr } {
  const text = section.string(key, fallback);
  const parsed = parseCidr(text);
  if (typeof parsed === "string") {
    section.reject(
      key,
      `an IPv4 CIDR a.b.c.d/n with prefix /${prefix.min}-/${prefix.max}; this one ${parsed}`,
    );
    return { text };
  }
  if (parsed.prefix < prefix.min || parsed.prefix > prefix.max) {
    section.reject(key, `prefix length /${prefix.min}-/${prefix.max} (${why})`);
    return { text };
  }
  return { text, cidr: parsed };
}

function readExistingVpc(net: Section, placement: Placement): ExistingVpcConfig | undefined {
  if (!net.has("existingVpc")) return undefined;
  const byo = net.section("existingVpc", SECTION_KEYS.existingVpc);
  const vpcId = byo.requiredString("vpcId", "the id of the existing VPC, vpc-[0-9a-f]+") ?? "";
  if (vpcId && !/^vpc-[0-9a-f]+$/.test(vpcId)) byo.reject("vpcId", "a VPC id matching vpc-[0-9a-f]+");
  const vpcCidr = byo.requiredString("vpcCidr", "the primary IPv4 CIDR of the existing VPC") ?? "";
  if (vpcCidr && readExistingCidr(vpcCidr).cidr === undefined) {
    const { min, max } = EXISTING_VPC_PREFIX;
    byo.reject(
      "vpcCidr",
      `an IPv4 CIDR a.b.c.d/n with prefix /${min}-/${max} (the sizes AWS allows for a VPC)`,
    );
  }
  if (!placement.availabilityZones) {
    net.reject(
      "existingVpc",
      "needs an explicit availabilityZones list: subnet ids are matched to zones by position",
    );
  }
  const seen = new Set<string>();
  const lists = ["publicSubnetIds", "privateSubnetIds"].map((key) => {
    const ids = byo.stringList(key, []);
    if (ids.length !== placement.availabilityZoneCount) {
      byo.reject(
        key,
        `exactly one subnet id per availability zone (${placement.availabilityZoneCount}), in zone order`,
      );
    }
    ids.forEach((id, i) => {
      const itemKey = `${byo.keyPath(key)}[${i}]`;
      if (!/^subnet-[0-9a-f]+$/.test(id))
        byo.problems.add(itemKey, id, "a subnet id matching subnet-[0-9a-f]+");
      else if (seen.has(id)) byo.problems.add(itemKey, id, "each subnet id may appear only once");
      seen.add(id);
    });
    return ids;
  });
  const privateSubnetCidrs = readPrivateSubnetCidrs(byo, placement, vpcCidr);
  return { vpcId, vpcCidr, publicSubnetIds: lists[0], privateSubnetIds: lists[1], privateSubnetCidrs };
}

/**
 * The private subnets' CIDRs: the stable master addresses are reserved in each one's second /28,
 * so each must be inside the VPC, distinct, and at least a /27 (external etcd needs more in its
 * zones: checkEtcdNodeSubnets).
 */
function readPrivateSubnetCidrs(byo: Section, placement: Placement, vpcCidr: string): string[] {
  const key = "privateSubnetCidrs";
  const cidrs = byo.stringList(key, []);
  if (cidrs.length !== placement.availabilityZoneCount) {
    byo.reject(
      key,
      `exactly one IPv4 CIDR per private subnet (${placement.availabilityZoneCount}), in the order of privateSubnetIds`,
    );
  }
  const vpc = parseCidr(vpcCidr);
  const seen: Ipv4Cidr[] = [];
  cidrs.forEach((text, i) => {
    const itemKey = `${byo.keyPath(key)}[${i}]`;
    const parsed = parseCidr(text);
    if (typeof parsed === "string") {
      byo.problems.add(itemKey, text, `the subnet's IPv4 CIDR a.b.c.d/n; this one ${parsed}`);
    } else if (parsed.prefix > MAX_MASTER_SUBNET_PREFIX) {
      byo.problems.add(
        itemKey,
        text,
        `a /${MAX_MASTER_SUBNET_PREFIX} or larger subnet: the stable master address is reserved in its second /28`,
      );
    } else if (typeof vpc !== "string" && !cidrContains(vpc, parsed)) {
      byo.problems.add(itemKey, text, `a subnet inside existingVpc.vpcCidr (${vpcCidr})`);
    } else if (seen.some((s) => cidrsOverlap(s, parsed))) {
      byo.problems.add(itemKey, text, "each private subnet must be distinct (no overlap with another entry)");
    } else {
      seen.push(parsed);
    }
  });
  return cidrs;
}

export function readNetwork(root: Section, placement: Placement): NetworkConfig {
  const net = root.section("network", SECTION_KEYS.network);
  const existingVpc = readExistingVpc(net, placement);
  // Equal is accepted so validated config (where vpcCidr is the existing VPC's) validates again.
  if (existingVpc && net.has("vpcCidr") && net.raw("vpcCidr") !== existingVpc.vpcCidr) {
    net.reject("vpcCidr", "leave it out with existingVpc (existingVpc.vpcCidr describes that VPC)");
  }
  const vpc = existingVpc
    ? { key: "existingVpc.vpcCidr", ...readExistingCidr(existingVpc.vpcCidr) }
    : {
        key: "vpcCidr",
        ...readCidr(
          net,
          "vpcCidr",
          NETWORK_DEFAULTS.vpcCidr,
          VPC_PREFIX,
          "the subnet layout carves vpc/+4 private subnets",
        ),
      };
  const pod = {
    key: "podCidr",
    ...readCidr(net, "podCidr", NETWORK_DEFAULTS.podCidr, POD_PREFIX, "each node takes a /24 of it"),
  };
  const service = {
    key: "serviceCidr",
    ...readCidr(
      net,
      "serviceCidr",
      NETWORK_DEFAULTS.serviceCidr,
      SERVICE_PREFIX,
      "kube-apiserver refuses ranges larger than /12",
    ),
  };
  // Routing breaks if pods, services and nodes share addresses: each pair must be disjoint.
  const ranges = [vpc, pod, service];
  ranges.forEach((later, j) => {
    for (const earlier of ranges.slice(0, j)) {
      if (later.cidr && earlier.cidr && cidrsOverlap(later.cidr, earlier.cidr)) {
        net.reject(later.key, `must not overlap network.${earlier.key} (${earlier.text})`);
      }
    }
  });
  return {
    vpcCidr: existingVpc ? existingVpc.vpcCidr : vpc.text,
    natGateways: net.oneOf("natGateways", NETWORK_DEFAULTS.natGateways, NAT_MODES),
    ...(existingVpc ? { existingVpc } : {}),
    podCidr: pod.text,
    serviceCidr: service.text,
  };
}

/**
 * External etcd reserves each etcd node's stable address in the third /28 of its zone's private
 * subnet (base/masterAddress.ts), so every subnet holding an etcd node (the first `etcd.members`
 * zones) must be a /26 or larger. The topology is read after the network, so resolve.ts calls
 * this once both are read. Only an existing VPC's subnets can be too small: a created VPC is at
 * most a /20 (VPC_PREFIX) and its private subnets are vpc/+4 (components/network.ts
 * subnetLayout), so at most a /24: sixteen /28 blocks, the third always among them.
 */
export function checkEtcdNodeSubnets(
  problems: Problems,
  networkPath: string,
  network: NetworkConfig,
  etcd: Pick<EtcdConfig, "topology" | "members">,
): void {
  if (etcd.topology !== "external" || !network.existingVpc) return;
  network.existingVpc.privateSubnetCidrs.slice(0, etcd.members).forEach((text, i) => {
    const parsed = parseCidr(text);
    // An unparseable CIDR is already reported by readPrivateSubnetCidrs.
    if (typeof parsed !== "string" && parsed.prefix > MAX_ETCD_NODE_SUBNET_PREFIX) {
      problems.add(
        `${networkPath}.existingVpc.privateSubnetCidrs[${i}]`,
        text,
        `a /${MAX_ETCD_NODE_SUBNET_PREFIX} or larger: the etcd node's stable address is reserved in its third /28 (etcd.topology external)`,
      );
    }
  });
}

function readExistingCidr(text: string): { text: string; cidr?: Ipv4Cidr } {
  const parsed = parseCidr(text);
  if (typeof parsed === "string") return { text };
  const fits = parsed.prefix >= EXISTING_VPC_PREFIX.min && parsed.prefix <= EXISTING_VPC_PREFIX.max;
  return { text, cidr: fits ? parsed : undefined };
}

export function readApi(root: Section): ApiConfig {
  const api = root.section("api", SECTION_KEYS.api);
  const exposure = api.oneOf("exposure", API_DEFAULTS.exposure, EXPOSURES);
  const allowedCidrs = api.stringList("allowedCidrs", API_DEFAULTS.allowedCidrs);
  if (allowedCidrs.length === 0) {
    api.reject(
      "allowedCidrs",
      `at least one CIDR allowed to reach the API on ${API_PORT} (0.0.0.0/0 for anywhere)`,
    );
  }
  allowedCidrs.forEach((text, i) => {
    const parsed = parseCidr(text);
    if (typeof parsed === "string") {
      api.problems.add(
        `${api.keyPath("allowedCidrs")}[${i}]`,
        text,
        `an IPv4 CIDR a.b.c.d/n; this one ${parsed}`,
      );
    }
  });
  const deletionProtection = api.boolean("deletionProtection", API_DEFAULTS.deletionProtection);
  return { exposure, allowedCidrs, deletionProtection };
}
