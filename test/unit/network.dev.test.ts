import { ofType, synthesize } from "../../synth/mockRuntime";

test("dev: subnets in 3 distinct zones and a single NAT gateway", async () => {
  const result = await synthesize("dev");
  const subnets = ofType(result, "aws:ec2/subnet:Subnet");
  expect(subnets).toHaveLength(6);
  expect(new Set(subnets.map((s) => s.inputs.availabilityZone)).size).toBe(3);
  expect(ofType(result, "aws:ec2/natGateway:NatGateway")).toHaveLength(1);
});
