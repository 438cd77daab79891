/**
 * Zonal worker pools in the real program (index.ts) under Pulumi mocks: a `zonal` pool is one
 * ASG per zone, each in that zone's private subnet, sized per zone and tagged for the
 * cluster-autoscaler with the same node template; a pool that is not zonal keeps its names
 * (so an existing stack's ASG is not replaced).
 */
import { TAG_ROLE } from "../../base/tags";
import { ofType, type RegisteredResource, type SynthResult, synthesize } from "../../synth/mockRuntime";
import { only } from "../support/graph";

const ASG = "aws:autoscaling/group:Group";
const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const HOOK = "aws:autoscaling/lifecycleHook:LifecycleHook";
const SUBNET = "aws:ec2/subnet:Subnet";
const POOL = "k8sha:workers:WorkerPool";
const ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];

const zonalPool = {
  name: "general",
  instanceTypes: ["t3.medium", "t3a.medium"],
  minSize: 1,
  desiredCapacity: 2,
  maxSize: 4,
  onDemandBaseCapacity: 1,
  spotPercentage: 50,
  zonal: true,
  labels: { "example.com/tier": "db" },
  taints: [{ key: "example.com/dedicated", value: "db", effect: "NoSchedule" }],
};
const flatPool = { name: "flat", instanceTypes: ["t3.medium"], minSize: 1, desiredCapacity: 1, maxSize: 2 };

let zonal: SynthResult;
let plain: SynthResult;

beforeAll(async () => {
  zonal = await synthesize("dev", { workerPools: [zonalPool, flatPool] });
  plain = await synthesize("dev");
});

type Tag = { key: string; value: string; propagateAtLaunch: boolean };
const tagList = (asg: RegisteredResource) => asg.inputs.tags as Tag[];
const autoscalerTags = (asg: RegisteredResource) =>
  tagList(asg).filter((t) => t.key.startsWith("k8s.io/cluster-autoscaler/"));

function poolComponent(result: SynthResult, pool: string): RegisteredResource {
  return only(
    ofType(result, POOL).filter((p) => p.name === `dev-${pool}`),
    `WorkerPool dev-${pool}`,
  );
}
function childrenNamed(result: SynthResult, pool: string, type: string): string[] {
  const parent = poolComponent(result, pool);
  return ofType(result, type)
    .filter((r) => r.parent === parent.urn)
    .map((r) => r.name)
    .sort();
}
/** Private subnet ids (mock id `<name>-id`) by zone, from the subnets' own inputs. */
function privateSubnetByZone(result: SynthResult): Map<string, string> {
  const subnets = ofType(result, SUBNET).filter((s) => s.name.includes("-private-"));
  return new Map(subnets.map((s) => [String(s.inputs.availabilityZone), `${s.name}-id`]));
}
const asgNamed = (result: SynthResult, name: string) =>
  only(
    ofType(result, ASG).filter((a) => a.name === name),
    `ASG ${name}`,
  );

test("a zonal pool is one launch template, ASG and drain hook per zone, none over every zone", () => {
  expect(childrenNamed(zonal, "general", ASG)).toEqual([
    "dev-general-az0-asg",
    "dev-general-az1-asg",
    "dev-general-az2-asg",
  ]);
  expect(childrenNamed(zonal, "general", LT)).toEqual([
    "dev-general-az0-lt",
    "dev-general-az1-lt",
    "dev-general-az2-lt",
  ]);
  expect(childrenNamed(zonal, "general", HOOK)).toEqual([
    "dev-general-az0-drain",
    "dev-general-az1-drain",
    "dev-general-az2-drain",
  ]);
  // (The mocks leave a derived ASG name unresolved, so hook and group are paired by name here.)
});

test("zone i's ASG launches only into zone i's private subnet, sized by the pool's per-zone sizes", () => {
  const subnetOf = privateSubnetByZone(zonal);
  expect([...subnetOf.keys()].sort()).toEqual(ZONES);
  ZONES.forEach((zone, i) => {
    const asg = asgNamed(zonal, `dev-general-az${i}-asg`);
    expect({ zone, subnets: asg.inputs.vpcZoneIdentifiers }).toEqual({ zone, subnets: [subnetOf.get(zone)] });
    expect(asg.inputs).toMatchObject({
      minSize: zonalPool.minSize,
      maxSize: zonalPool.maxSize,
      desiredCapacity: zonalPool.desiredCapacity,
      mixedInstancesPolicy: {
        instancesDistribution: { onDemandBaseCapacity: zonalPool.onDemandBaseCapacity },
      },
    });
    expect(asg.options.ignoreChanges).toEqual(["desiredCapacity"]);
  });
});

test("every zone's ASG carries the discovery and node-template tags, identical across zones, on the ASG only", () => {
  const expected = [
    { key: "k8s.io/cluster-autoscaler/enabled", value: "true", propagateAtLaunch: false },
    { key: "k8s.io/cluster-autoscaler/dev", value: "owned", propagateAtLaunch: false },
    {
      key: "k8s.io/cluster-autoscaler/node-template/label/example.com/tier",
      value: "db",
      propagateAtLaunch: false,
    },
    {
      key: "k8s.io/cluster-autoscaler/node-template/label/k8sha.io/pool",
      value: "general",
      propagateAtLaunch: false,
    },
    {
      key: "k8s.io/cluster-autoscaler/node-template/taint/example.com/dedicated",
      value: "db:NoSchedule",
      propagateAtLaunch: false,
    },
  ];
  const byKey = (a: Tag, b: Tag) => a.key.localeCompare(b.key);
  for (let i = 0; i < ZONES.length; i++) {
    const asg = asgNamed(zonal, `dev-general-az${i}-asg`);
    expect([...autoscalerTags(asg)].sort(byKey)).toEqual(expected.sort(byKey));
    expect(tagList(asg).find((t) => t.key === TAG_ROLE)?.value).toBe("worker");
  }
});

test("a pool that is not zonal keeps its names, URN and every subnet, in the same stack", () => {
  expect(childrenNamed(zonal, "flat", ASG)).toEqual(["dev-flat-asg"]);
  expect(childrenNamed(zonal, "flat", LT)).toEqual(["dev-flat-lt"]);
  expect(childrenNamed(zonal, "flat", HOOK)).toEqual(["dev-flat-drain"]);
  const asg = asgNamed(zonal, "dev-flat-asg");
  expect([...(asg.inputs.vpcZoneIdentifiers as string[])].sort()).toEqual(
    [...privateSubnetByZone(zonal).values()].sort(),
  );
  expect(autoscalerTags(asg).map((t) => t.key)).toContain("k8s.io/cluster-autoscaler/enabled");
});

test("the dev stack (no zonal pool) has the pool resources it always had, by URN", () => {
  const pool = poolComponent(plain, "general");
  const urns = plain.resources
    .filter((r) => r.parent === pool.urn)
    .map((r) => r.urn)
    .sort();
  expect(urns).toEqual(
    [
      "urn:pulumi:dev::k8s-ha::k8sha:workers:WorkerPool$aws:autoscaling/group:Group::dev-general-asg",
      "urn:pulumi:dev::k8s-ha::k8sha:workers:WorkerPool$aws:autoscaling/lifecycleHook:LifecycleHook::dev-general-drain",
      "urn:pulumi:dev::k8s-ha::k8sha:workers:WorkerPool$aws:ec2/launchTemplate:LaunchTemplate::dev-general-lt",
    ].sort(),
  );
  expect(ofType(plain, ASG).filter((a) => a.name.includes("-az"))).toEqual([]);
});
