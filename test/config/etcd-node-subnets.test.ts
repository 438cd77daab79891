/**
 * External etcd puts each etcd node's stable address in the third /28 of its zone's private
 * subnet, so an existing VPC's private subnets in the etcd nodes' zones must be /26 or larger;
 * stacked keeps the masters' /27 bound. Created VPCs always carve /24 or larger private subnets
 * (config/validate-network.ts checkEtcdNodeSubnets says why), so only existing VPCs are refused.
 */
import { parseConfig } from "../../config/stack";
import { applyOverrides } from "../../synth/mockRuntime";
import { devConfig } from "../support/configRefusal";
import { acceptedSpec, problemsOf } from "./etcdRefusals";

const FOUR_ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"];

/** An existing VPC with one private subnet of each given CIDR, one zone each. */
function existingVpc(privateSubnetCidrs: string[]) {
  const ids = (base: number) => privateSubnetCidrs.map((_, i) => `subnet-${base + i}`);
  return {
    availabilityZones: FOUR_ZONES.slice(0, privateSubnetCidrs.length),
    network: {
      existingVpc: {
        vpcId: "vpc-0a1b2c3d",
        vpcCidr: "10.50.0.0/16",
        publicSubnetIds: ids(10),
        privateSubnetIds: ids(20),
        privateSubnetCidrs,
      },
    },
  };
}

const external = { etcd: { topology: "external" } };
const SLASH_27 = ["10.50.0.0/27", "10.50.1.0/27", "10.50.2.0/27"];
const etcdRule = (i: number, cidr: string) =>
  `  - k8s-ha:network.existingVpc.privateSubnetCidrs[${i}]: "${cidr}" is invalid: a /26 or larger: the etcd node's stable address is reserved in its third /28 (etcd.topology external)`;

test("stacked etcd keeps accepting /27 private subnets (the masters' second /28 fits)", () => {
  const spec = parseConfig(applyOverrides(devConfig, existingVpc(SLASH_27)));
  expect(spec.etcd.topology).toBe("stacked");
  expect(spec.network.existingVpc?.privateSubnetCidrs).toEqual(SLASH_27);
});

test("external etcd refuses a /27 private subnet in every zone that holds an etcd node", () => {
  const problems = problemsOf({ ...existingVpc(SLASH_27), ...external });
  expect(problems).toEqual(SLASH_27.map((cidr, i) => etcdRule(i, cidr)));
});

test("external etcd accepts /26 private subnets", () => {
  const cidrs = ["10.50.0.0/26", "10.50.1.0/26", "10.50.2.0/26"];
  const spec = acceptedSpec({ ...existingVpc(cidrs), ...external });
  expect(spec.etcd.topology).toBe("external");
  expect(spec.network.existingVpc?.privateSubnetCidrs).toEqual(cidrs);
});

test("a zone without an etcd node (beyond etcd.members) keeps the masters' /27 bound", () => {
  // Four zones, three etcd members: the fourth subnet holds masters or workers only.
  const spec = acceptedSpec({
    ...existingVpc(["10.50.0.0/26", "10.50.1.0/26", "10.50.2.0/26", "10.50.3.0/27"]),
    ...external,
  });
  expect(spec.etcd.members).toBe(3);
});

test("a /28 is refused for both reservations it cannot hold", () => {
  const problems = problemsOf({
    ...existingVpc(["10.50.0.0/28", "10.50.1.0/26", "10.50.2.0/26"]),
    ...external,
  });
  expect(problems).toHaveLength(2);
  expect(problems).toContain(etcdRule(0, "10.50.0.0/28"));
  expect(problems.join("\n")).toMatch(
    /privateSubnetCidrs\[0\]: "10\.50\.0\.0\/28" is invalid: a \/27 or larger subnet: the stable master address/,
  );
});

test("a created VPC at its smallest (/20, so /24 private subnets) is not refused for the etcd nodes", () =>
  expect(acceptedSpec({ network: { vpcCidr: "10.50.0.0/20" }, ...external }).etcd.topology).toBe("external"));
