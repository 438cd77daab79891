/**
 * The two other network paths, on top of the real dev stack: an existing VPC (nothing
 * created, the given subnets only tagged) and availabilityZoneCount (zones looked up with
 * getAvailabilityZones at deploy time instead of listed).
 */
import { ofType, type SynthResult, synthesize } from "../../synth/mockRuntime";
import { EXISTING_VPC } from "../support/existingVpc";

const byo = EXISTING_VPC;

describe("existingVpc", () => {
  let result: SynthResult;
  beforeAll(async () => {
    result = await synthesize("dev", { network: { natGateways: "single", existingVpc: byo } });
  });

  test("creates no VPC, subnet, gateway or route table", () => {
    for (const type of [
      "vpc:Vpc",
      "subnet:Subnet",
      "natGateway:NatGateway",
      "internetGateway:InternetGateway",
      "routeTable:RouteTable",
    ]) {
      expect(ofType(result, `aws:ec2/${type}`)).toEqual([]);
    }
  });

  test("tags the given subnets for the cluster (shared) and their load-balancer role", () => {
    const tags = ofType(result, "aws:ec2/tag:Tag").map(
      (t) => `${t.inputs.resourceId} ${t.inputs.key}=${t.inputs.value}`,
    );
    const expected = [
      ...byo.publicSubnetIds.flatMap((id) => [
        `${id} kubernetes.io/cluster/dev=shared`,
        `${id} kubernetes.io/role/elb=1`,
      ]),
      ...byo.privateSubnetIds.flatMap((id) => [
        `${id} kubernetes.io/cluster/dev=shared`,
        `${id} kubernetes.io/role/internal-elb=1`,
      ]),
    ];
    expect([...tags].sort()).toEqual([...expected].sort());
  });

  test("the cluster is placed in the given VPC and its private subnets only", () => {
    expect(result.outputs.vpcId).toBe(byo.vpcId);
    const groups = ofType(result, "aws:autoscaling/group:Group");
    expect(groups.length).toBeGreaterThan(0);
    for (const group of groups) {
      const subnets = group.inputs.vpcZoneIdentifiers as string[];
      expect(subnets.length).toBeGreaterThan(0);
      for (const id of subnets) expect(byo.privateSubnetIds).toContain(id);
    }
  });
});

describe("availabilityZoneCount", () => {
  let result: SynthResult;
  beforeAll(async () => {
    result = await synthesize("dev", { availabilityZones: undefined, availabilityZoneCount: 3 });
  });

  test("looks the zones up with getAvailabilityZones (available zones only)", () => {
    const lookups = result.invokes.filter(
      (i) => i.token === "aws:index/getAvailabilityZones:getAvailabilityZones",
    );
    expect(lookups.length).toBeGreaterThan(0);
    expect(lookups[0].inputs.state).toBe("available");
  });

  test("spreads the subnets over the first 3 zones the lookup returned", () => {
    const subnets = ofType(result, "aws:ec2/subnet:Subnet");
    expect(subnets).toHaveLength(6);
    // mockCall answers eu-west-1a/b/c: the zones can only come from that answer.
    expect(new Set(subnets.map((s) => s.inputs.availabilityZone))).toEqual(
      new Set(["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    );
  });
});
