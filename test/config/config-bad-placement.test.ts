/**
 * Bad inputs for identity, placement, control plane and network: each must be refused with a
 * message naming the key, the bad value and what is allowed, and with no other problem
 * (so the case fails for the reason it claims, not a side effect).
 */
import type { ConfigOverrides } from "../../synth/mockRuntime";
import { devConfig as dev, expectSingleProblem, type RefusalCase } from "../support/configRefusal";

/** The dev stack with `patch` merged into one of its top-level objects. */
function devWith(section: string, patch: Record<string, unknown>): ConfigOverrides {
  const current = JSON.parse(dev[`k8s-ha:${section}`] ?? "{}") as Record<string, unknown>;
  return { [section]: { ...current, ...patch } };
}

const byo = {
  vpcId: "vpc-0a1b2c3d",
  vpcCidr: "10.50.0.0/16",
  publicSubnetIds: ["subnet-01", "subnet-02", "subnet-03"],
  privateSubnetIds: ["subnet-11", "subnet-12", "subnet-13"],
  privateSubnetCidrs: ["10.50.0.0/20", "10.50.16.0/20", "10.50.32.0/20"],
};
const sevenZones = ["a", "b", "c", "d", "e", "f", "g"].map((z) => `eu-west-1${z}`);

const cases: RefusalCase[] = [
  [
    "upper-case cluster name",
    { clusterName: "Dev" },
    /k8s-ha:clusterName: "Dev" is invalid: a DNS label of 1-24 characters/,
  ],
  [
    "cluster name over 24 chars",
    { clusterName: "a".repeat(25) },
    /k8s-ha:clusterName: "a{25}" is invalid: .*1-24 characters.*32 characters/,
  ],
  [
    "missing cluster name",
    { clusterName: undefined },
    /k8s-ha:clusterName: \(missing\) is invalid: required string: a DNS label/,
  ],
  [
    "malformed region",
    { "aws:region": "eu-west" },
    /aws:region: "eu-west" is invalid: an AWS region name such as eu-west-1/,
  ],
  [
    "zone of another region",
    { availabilityZones: ["eu-west-1a", "eu-west-1b", "us-east-1a"] },
    /k8s-ha:availabilityZones\[2\]: "us-east-1a" is invalid: a zone of region eu-west-1/,
  ],
  [
    "duplicate zone",
    { availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1a"] },
    /k8s-ha:availabilityZones\[2\]: "eu-west-1a" is invalid: zones must be unique/,
  ],
  [
    "zone list and zone count",
    { availabilityZoneCount: 3 },
    /k8s-ha:availabilityZoneCount: 3 is invalid: set either availabilityZones .* not both/,
  ],
  [
    "seven zones",
    { availabilityZones: sevenZones },
    /k8s-ha:availabilityZones: \["eu-west-1a".* is invalid: a list of 1-6 zones/,
  ],
  [
    "zone count 7",
    { availabilityZones: undefined, availabilityZoneCount: 7 },
    /k8s-ha:availabilityZoneCount: 7 is invalid: a whole number 1-6/,
  ],
  [
    "zone count not a number",
    { availabilityZones: undefined, availabilityZoneCount: "three" },
    /k8s-ha:availabilityZoneCount: "three" is invalid: must be a whole number/,
  ],
  [
    "unknown top-level key (typo)",
    { workerPool: [] },
    /k8s-ha:workerPool: "\[\]" is invalid: unknown key "workerPool"; allowed keys: .*workerPools/,
  ],
  [
    "unsupported old minor",
    { kubernetesVersion: "1.29.4" },
    /k8s-ha:kubernetesVersion: "1.29.4" is invalid: 1\.MINOR\.PATCH with MINOR 31-35/,
  ],
  [
    "image id that is not an AMI id",
    { imageId: "ubuntu-24.04" },
    /k8s-ha:imageId: "ubuntu-24.04" is invalid: an EC2 image id, ami- and 8 or 17 hex digits/,
  ],
  [
    "deletion protection as a string",
    { api: { deletionProtection: "yes" } },
    /k8s-ha:api\.deletionProtection: "yes" is invalid: must be true or false/,
  ],
  [
    "version with a v",
    { kubernetesVersion: "v1.34.2" },
    /k8s-ha:kubernetesVersion: "v1.34.2" is invalid: 1\.MINOR\.PATCH/,
  ],
  [
    "two masters (even)",
    devWith("masters", { count: 2 }),
    /k8s-ha:masters\.count: 2 is invalid: must be odd: 3, 5, 7 .*majority \(n\/2\+1\) for quorum/,
  ],
  [
    "zero masters",
    devWith("masters", { count: 0 }),
    /k8s-ha:masters\.count: 0 is invalid: must be odd: .*quorum/,
  ],
  [
    "one master without allowNonHa",
    devWith("masters", { count: 1 }),
    /k8s-ha:masters\.count: 1 is invalid: .*not highly available.*masters\.allowNonHa=true/,
  ],
  ["nine masters", devWith("masters", { count: 9 }), /k8s-ha:masters\.count: 9 is invalid: must be 3, 5, 7 /],
  [
    "more masters than zones",
    devWith("masters", { count: 5 }),
    /k8s-ha:masters\.count: 5 is invalid: at most the number of availability zones \(3\): one master per zone/,
  ],
  [
    "default 3 masters over 2 zones",
    { availabilityZones: ["eu-west-1a", "eu-west-1b"], masters: {} },
    /k8s-ha:masters\.count: 3 \(default\) is invalid: at most the number of availability zones \(2\)/,
  ],
  [
    "typo in masters key",
    devWith("masters", { cuont: 3 }),
    /k8s-ha:masters\.cuont: 3 is invalid: unknown key "cuont"; allowed keys here: count, allowNonHa, instanceType, rootVolumeGiB/,
  ],
  [
    "masters count as a string",
    devWith("masters", { count: "3" }),
    /k8s-ha:masters\.count: "3" is invalid: must be a whole number/,
  ],
  [
    "masters not an object",
    { masters: "three" },
    /k8s-ha:masters: "three" is invalid: must be an object with keys count, allowNonHa/,
  ],
  [
    "bad instance type",
    devWith("masters", { instanceType: "large" }),
    /k8s-ha:masters\.instanceType: "large" is invalid: not an instance type name; .*not an EC2 instance type known to the AWS provider/,
  ],
  [
    "tiny master root volume",
    devWith("masters", { rootVolumeGiB: 8 }),
    /k8s-ha:masters\.rootVolumeGiB: 8 is invalid: 20-16384 GiB/,
  ],
  [
    "VPC /24",
    devWith("network", { vpcCidr: "10.10.0.0/24" }),
    /k8s-ha:network\.vpcCidr: "10.10.0.0\/24" is invalid: prefix length \/16-\/20/,
  ],
  [
    "VPC with host bits",
    devWith("network", { vpcCidr: "10.10.0.1/16" }),
    /k8s-ha:network\.vpcCidr: "10.10.0.1\/16" is invalid: an IPv4 CIDR .*host bits set/,
  ],
  [
    "not a CIDR",
    devWith("network", { vpcCidr: "10.10.0.0" }),
    /k8s-ha:network\.vpcCidr: "10.10.0.0" is invalid: an IPv4 CIDR a\.b\.c\.d\/n/,
  ],
  [
    "pods overlap the VPC",
    devWith("network", { podCidr: "10.10.128.0/17" }),
    /k8s-ha:network\.podCidr: "10.10.128.0\/17" is invalid: must not overlap network\.vpcCidr \(10\.10\.0\.0\/16\)/,
  ],
  [
    "services overlap pods",
    devWith("network", { serviceCidr: "10.244.0.0/20" }),
    /k8s-ha:network\.serviceCidr: "10.244.0.0\/20" is invalid: must not overlap network\.podCidr/,
  ],
  [
    "service range /11",
    devWith("network", { serviceCidr: "10.96.0.0/11" }),
    /k8s-ha:network\.serviceCidr: "10.96.0.0\/11" is invalid: prefix length \/12-\/24/,
  ],
  [
    "NAT mode typo",
    devWith("network", { natGateways: "perZone" }),
    /k8s-ha:network\.natGateways: "perZone" is invalid: must be one of single, perAz/,
  ],
  [
    "existing VPC bad id",
    { network: { existingVpc: { ...byo, vpcId: "vpc-XYZ" } } },
    /k8s-ha:network\.existingVpc\.vpcId: "vpc-XYZ" is invalid: a VPC id matching vpc-\[0-9a-f\]\+/,
  ],
  [
    "existing VPC two subnets for three zones",
    { network: { existingVpc: { ...byo, publicSubnetIds: ["subnet-01", "subnet-02"] } } },
    /k8s-ha:network\.existingVpc\.publicSubnetIds: \["subnet-01","subnet-02"\] is invalid: exactly one subnet id per availability zone \(3\)/,
  ],
  [
    "existing VPC bad subnet id",
    { network: { existingVpc: { ...byo, privateSubnetIds: ["subnet-11", "sn-12", "subnet-13"] } } },
    /k8s-ha:network\.existingVpc\.privateSubnetIds\[1\]: "sn-12" is invalid: a subnet id matching subnet-/,
  ],
  [
    "existing VPC overlaps pods",
    {
      network: {
        existingVpc: {
          ...byo,
          vpcCidr: "10.244.0.0/16",
          privateSubnetCidrs: ["10.244.0.0/20", "10.244.16.0/20", "10.244.32.0/20"],
        },
      },
    },
    /k8s-ha:network\.podCidr: "10.244.0.0\/16" \(default\) is invalid: must not overlap network\.existingVpc\.vpcCidr/,
  ],
  [
    "existing VPC private subnet outside the VPC",
    {
      network: {
        existingVpc: { ...byo, privateSubnetCidrs: ["10.50.0.0/20", "10.51.16.0/20", "10.50.32.0/20"] },
      },
    },
    /k8s-ha:network\.existingVpc\.privateSubnetCidrs\[1\]: "10\.51\.16\.0\/20" is invalid: a subnet inside existingVpc\.vpcCidr \(10\.50\.0\.0\/16\)/,
  ],
  [
    "existing VPC private subnet too small for the master address reservation",
    {
      network: {
        existingVpc: { ...byo, privateSubnetCidrs: ["10.50.0.0/28", "10.50.16.0/20", "10.50.32.0/20"] },
      },
    },
    /k8s-ha:network\.existingVpc\.privateSubnetCidrs\[0\]: "10\.50\.0\.0\/28" is invalid: a \/27 or larger subnet/,
  ],
  [
    "existing VPC private subnets overlapping",
    {
      network: {
        existingVpc: { ...byo, privateSubnetCidrs: ["10.50.0.0/20", "10.50.8.0/21", "10.50.32.0/20"] },
      },
    },
    /k8s-ha:network\.existingVpc\.privateSubnetCidrs\[1\]: "10\.50\.8\.0\/21" is invalid: each private subnet must be distinct/,
  ],
  [
    "existing VPC without its private subnets' CIDRs",
    { network: { existingVpc: { ...byo, privateSubnetCidrs: undefined } } },
    /k8s-ha:network\.existingVpc\.privateSubnetCidrs: .* is invalid: exactly one IPv4 CIDR per private subnet \(3\)/,
  ],
  [
    "existing VPC without explicit zones",
    { availabilityZones: undefined, network: { existingVpc: byo } },
    /k8s-ha:network\.existingVpc: \{.* is invalid: needs an explicit availabilityZones list/,
  ],
  [
    "API exposure typo",
    { api: { exposure: "private" } },
    /k8s-ha:api\.exposure: "private" is invalid: must be one of public, internal/,
  ],
  [
    "no allowed CIDRs",
    { api: { allowedCidrs: [] } },
    /k8s-ha:api\.allowedCidrs: \[\] is invalid: at least one CIDR/,
  ],
  [
    "allowed CIDR without prefix",
    { api: { allowedCidrs: ["1.2.3.4"] } },
    /k8s-ha:api\.allowedCidrs\[0\]: "1.2.3.4" is invalid: an IPv4 CIDR/,
  ],
];

test.each(cases)("refuses %s", (_name, overrides, expected) => expectSingleProblem(overrides, expected));
