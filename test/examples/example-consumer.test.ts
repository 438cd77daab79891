/**
 * examples/consumer builds a cluster through the public entry point only; run it under the
 * same mocks as the stack and check what it asked for: an internal NLB on private subnets,
 * and one autoscaling group per custom pool with that pool's sizes and instance types.
 */
import * as path from "node:path";
import { asgZones, isMasterAsg } from "../../policy/masters";
import { evaluatePolicies } from "../../policy/registry";
import { toGraphResources } from "../../synth/graph";
import { ofType, PROJECT_ROOT, type SynthResult } from "../../synth/mockRuntime";
import { synthesizeProgram } from "../../synth/program";

let result: SynthResult;

beforeAll(async () => {
  result = await synthesizeProgram(path.join(PROJECT_ROOT, "examples/consumer/index.ts"), "example", {
    "aws:region": "eu-central-1",
  });
});

test("the API load balancer is an internal NLB in the private subnets", () => {
  const lbs = ofType(result, "aws:lb/loadBalancer:LoadBalancer");
  expect(lbs).toHaveLength(1);
  expect(lbs[0].inputs.internal).toBe(true);
  expect(lbs[0].inputs.loadBalancerType).toBe("network");
  const subnetIds = (kind: string) =>
    ofType(result, "aws:ec2/subnet:Subnet")
      .filter((s) => s.name.includes(`-${kind}-`))
      .map((s) => `${s.name}-id`);
  const privateSubnetIds = subnetIds("private");
  expect(subnetIds("public")).toHaveLength(3);
  const subnets = lbs[0].inputs.subnets as string[];
  expect(subnets.length).toBe(3);
  for (const id of subnets) expect(privateSubnetIds).toContain(id);
});

test("one autoscaling group per custom pool, with the pool's sizes and instance types", () => {
  const graph = toGraphResources(result);
  const workers = graph.filter((r) => r.type === "aws:autoscaling/group:Group" && !isMasterAsg(r));
  const byPool = (pool: string) => {
    const found = workers.filter((w) => w.name.includes(`-${pool}`));
    expect(found).toHaveLength(1);
    return found[0].props;
  };
  expect(workers).toHaveLength(2);
  const system = byPool("system");
  expect([system.minSize, system.maxSize, system.desiredCapacity]).toEqual([2, 3, 2]);
  const batch = byPool("batch");
  expect([batch.minSize, batch.maxSize, batch.desiredCapacity]).toEqual([0, 10, 1]);
  const overrides = (
    batch.mixedInstancesPolicy as { launchTemplate: { overrides: { instanceType: string }[] } }
  ).launchTemplate.overrides;
  expect(overrides.map((o) => o.instanceType)).toEqual(["c6i.xlarge", "c6a.xlarge", "c5.xlarge"]);
  for (const w of workers)
    expect(asgZones(w, graph)).toEqual(["eu-central-1a", "eu-central-1b", "eu-central-1c"]);
});

test("the consumer's cluster passes the policy pack too", () => {
  expect(evaluatePolicies(toGraphResources(result))).toEqual([]);
});
