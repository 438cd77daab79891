/**
 * dev network graph, from the real Pulumi.dev.yaml: 6 subnets over 3 distinct zones, a single
 * NAT gateway, and every private route table's default route pointing at that NAT.
 */
import { ofType, type RegisteredResource, type SynthResult, synthesize } from "../../synth/mockRuntime";

/** The mock gives every resource the id `<name>-id` (see synth/mockRuntime.ts newResource). */
const idOf = (r: RegisteredResource) => `${r.name}-id`;
const tagsOf = (r: RegisteredResource) => (r.inputs.tags ?? {}) as Record<string, string>;
type Route = { cidrBlock?: string; natGatewayId?: string; gatewayId?: string };

let result: SynthResult;
beforeAll(async () => {
  result = await synthesize("dev");
});

test("dev: subnets in 3 distinct zones and a single NAT gateway", () => {
  const subnets = ofType(result, "aws:ec2/subnet:Subnet");
  expect(subnets).toHaveLength(6);
  expect(new Set(subnets.map((s) => s.inputs.availabilityZone))).toEqual(
    new Set(["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
  );
  expect(ofType(result, "aws:ec2/vpc:Vpc").map((v) => v.inputs.cidrBlock)).toEqual(["10.10.0.0/16"]);
  expect(ofType(result, "aws:ec2/natGateway:NatGateway")).toHaveLength(1);
});

test("dev: every private subnet's default route goes to the one NAT gateway", () => {
  const [nat] = ofType(result, "aws:ec2/natGateway:NatGateway");
  const tables = ofType(result, "aws:ec2/routeTable:RouteTable");
  const associations = ofType(result, "aws:ec2/routeTableAssociation:RouteTableAssociation");
  const privateSubnets = ofType(result, "aws:ec2/subnet:Subnet").filter(
    (s) => tagsOf(s)["kubernetes.io/role/internal-elb"] === "1",
  );
  expect(privateSubnets).toHaveLength(3);
  for (const subnet of privateSubnets) {
    const association = associations.find((a) => a.inputs.subnetId === idOf(subnet));
    const table = tables.find((t) => idOf(t) === association?.inputs.routeTableId);
    const defaultRoute = ((table?.inputs.routes ?? []) as Route[]).find((r) => r.cidrBlock === "0.0.0.0/0");
    expect(defaultRoute?.natGatewayId).toBe(idOf(nat));
  }
  // The NAT itself sits in a public subnet, which routes to the internet gateway.
  const natSubnet = ofType(result, "aws:ec2/subnet:Subnet").find((s) => idOf(s) === nat.inputs.subnetId);
  expect(natSubnet && tagsOf(natSubnet)["kubernetes.io/role/elb"]).toBe("1");
});

test("dev: subnet tags for the cluster and for load-balancer placement", () => {
  const subnets = ofType(result, "aws:ec2/subnet:Subnet");
  const publicOnes = subnets.filter((s) => tagsOf(s)["kubernetes.io/role/elb"] === "1");
  const privateOnes = subnets.filter((s) => tagsOf(s)["kubernetes.io/role/internal-elb"] === "1");
  expect(publicOnes).toHaveLength(3);
  expect(privateOnes).toHaveLength(3);
  expect(publicOnes.filter((s) => privateOnes.includes(s))).toEqual([]);
  for (const subnet of subnets) expect(tagsOf(subnet)["kubernetes.io/cluster/dev"]).toBe("owned");
});
