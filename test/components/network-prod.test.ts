/**
 * prod network graph, from the real Pulumi.prod.yaml: one NAT gateway per zone, and every
 * private subnet leaves through the NAT in its own zone (a zone outage never cuts another
 * zone's egress). Followed through the registered resources: subnet -> route-table
 * association -> route table -> NAT -> the NAT's public subnet -> its zone.
 */
import { ofType, type RegisteredResource, type SynthResult, synthesize } from "../../synth/mockRuntime";

/** The mock gives every resource the id `<name>-id` (see synth/mockRuntime.ts newResource). */
const idOf = (r: RegisteredResource) => `${r.name}-id`;
const tagsOf = (r: RegisteredResource) => (r.inputs.tags ?? {}) as Record<string, string>;

/** The resource of `type` with mock id `id` (names repeat across types, so the type is needed). */
function byTypeAndId(result: SynthResult, type: string, id: unknown): RegisteredResource | undefined {
  return ofType(result, `aws:ec2/${type}`).find((r) => idOf(r) === id);
}

/** For each private subnet: its zone and the zone of the NAT gateway its default route uses. */
function privateEgress(result: SynthResult) {
  const associations = ofType(result, "aws:ec2/routeTableAssociation:RouteTableAssociation");
  return ofType(result, "aws:ec2/subnet:Subnet")
    .filter((s) => tagsOf(s)["kubernetes.io/role/internal-elb"] === "1")
    .map((subnet) => {
      const association = associations.find((a) => a.inputs.subnetId === idOf(subnet));
      const table = byTypeAndId(result, "routeTable:RouteTable", association?.inputs.routeTableId);
      const routes = (table?.inputs.routes ?? []) as { cidrBlock?: string; natGatewayId?: string }[];
      const defaultRoute = routes.find((r) => r.cidrBlock === "0.0.0.0/0");
      const nat = byTypeAndId(result, "natGateway:NatGateway", defaultRoute?.natGatewayId);
      const natSubnet = byTypeAndId(result, "subnet:Subnet", nat?.inputs.subnetId);
      return {
        zone: subnet.inputs.availabilityZone,
        nat: nat?.name,
        natZone: natSubnet?.inputs.availabilityZone,
      };
    });
}

let result: SynthResult;
beforeAll(async () => {
  result = await synthesize("prod");
});

test("prod: one NAT gateway per zone, each in a public subnet of a different zone", () => {
  const nats = ofType(result, "aws:ec2/natGateway:NatGateway");
  expect(nats).toHaveLength(3);
  const natSubnets = nats.map((n) => byTypeAndId(result, "subnet:Subnet", n.inputs.subnetId));
  for (const subnet of natSubnets)
    expect(tagsOf(subnet as RegisteredResource)["kubernetes.io/role/elb"]).toBe("1");
  expect(new Set(natSubnets.map((s) => s?.inputs.availabilityZone))).toEqual(
    new Set(["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
  );
});

test("prod: every private subnet routes to the NAT gateway in its own zone", () => {
  const egress = privateEgress(result);
  expect(egress).toHaveLength(3);
  for (const e of egress) expect(e.natZone).toBe(e.zone);
  expect(new Set(egress.map((e) => e.nat)).size).toBe(3);
});

test("prod: the VPC and subnet layout fit 5,000 nodes", () => {
  const [vpc] = ofType(result, "aws:ec2/vpc:Vpc");
  expect(vpc.inputs.cidrBlock).toBe("10.64.0.0/16");
  const privateBlocks = ofType(result, "aws:ec2/subnet:Subnet")
    .filter((s) => tagsOf(s)["kubernetes.io/role/internal-elb"] === "1")
    .map((s) => String(s.inputs.cidrBlock));
  const usable = privateBlocks.map((b) => 2 ** (32 - Number(b.split("/")[1])) - 5); // AWS reserves 5 per subnet
  expect(usable.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(5000);
});

test("prod: subnets carry the cluster and load-balancer role tags", () => {
  for (const subnet of ofType(result, "aws:ec2/subnet:Subnet")) {
    const tags = tagsOf(subnet);
    expect(tags["kubernetes.io/cluster/prod"]).toBe("owned");
    const isPublic = tags["kubernetes.io/role/elb"] === "1";
    expect(tags["kubernetes.io/role/internal-elb"] === "1").toBe(!isPublic);
    expect(tags["cost-center"]).toBe("4711");
  }
});
