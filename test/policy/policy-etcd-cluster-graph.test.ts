/**
 * The etcd rules against the REAL `EtcdCluster` graph (components/etcd/, built on its own by
 * test/support/etcdClusterProgram.ts under mocks): its groups and volumes carry the tags the
 * program really sets, and the policy pack must read them as three etcd members with a volume
 * each, never as masters. The standalone program hands the cluster plain subnet ids, so the
 * subnets are added here as resources and each group gets the dependency on its subnet that the
 * whole program's graph has (how asgZones finds a zone); the masters are hand-built.
 */
import * as path from "node:path";
import { TAG_ROLE } from "../../base/tags";
import { isEtcdNodeAsg, isEtcdVolume, isMasterAsg, isMasterEtcdVolume } from "../../policy/masters";
import { asArray, asString } from "../../policy/props";
import { evaluatePolicies } from "../../policy/registry";
import type { GraphResource } from "../../policy/types";
import { toGraphResources } from "../../synth/graph";
import { synthesizeInCurrentRegistry } from "../../synth/mockRuntime";
import { ETCD_PROGRAM } from "../support/etcdClusterFixture";

const SUBNET = "aws:ec2/subnet:Subnet";
const ASG = "aws:autoscaling/group:Group";
const urn = (type: string, name: string) => `urn:pulumi:unit::k8s-ha::${type}::${name}`;

let etcd: GraphResource[];

beforeAll(async () => {
  const result = await synthesizeInCurrentRegistry(
    "unit",
    {},
    path.join(__dirname, "../support/etcdClusterProgram"),
  );
  etcd = toGraphResources(result);
});

/** One subnet resource per fixture zone, with the id the program was given. */
const subnets = (): GraphResource[] =>
  ETCD_PROGRAM.zones.map((zone, i) => ({
    type: SUBNET,
    name: `private-${i}`,
    urn: urn(SUBNET, `private-${i}`),
    props: { id: ETCD_PROGRAM.subnetIds[i], availabilityZone: zone },
    dependencies: [],
  }));

/** Hand-built masters, one per zone, without etcd volumes (what the external topology builds). */
const masters = (): GraphResource[] =>
  ETCD_PROGRAM.zones.map((_zone, i) => ({
    type: ASG,
    name: `unit-cp-${i}-asg`,
    urn: urn(ASG, `unit-cp-${i}-asg`),
    props: { tags: [{ key: TAG_ROLE, value: "master", propagateAtLaunch: true }] },
    dependencies: [urn(SUBNET, `private-${i}`)],
  }));

/** The real etcd graph (a copy), each group depending on the subnet its vpcZoneIdentifiers name. */
function cluster(): GraphResource[] {
  const nets = subnets();
  const real = JSON.parse(JSON.stringify(etcd)) as GraphResource[];
  for (const g of real.filter((r) => r.type === ASG)) {
    const ids = asArray(g.props.vpcZoneIdentifiers).map(asString);
    const linked = nets.filter((s) => ids.includes(asString(s.props.id)));
    g.dependencies = [...g.dependencies, ...linked.map((s) => s.urn)];
  }
  return [...nets, ...masters(), ...real];
}

test("the real etcd groups are three etcd nodes and no master, their volumes etcd and no master's", () => {
  const groups = etcd.filter((r) => r.type === ASG);
  expect(groups).toHaveLength(3);
  expect(groups.filter(isEtcdNodeAsg)).toHaveLength(3);
  expect(groups.filter(isMasterAsg)).toHaveLength(0);
  const volumes = etcd.filter(isEtcdVolume);
  expect(volumes.map((v) => v.props.availabilityZone)).toEqual([...ETCD_PROGRAM.zones]);
  expect(volumes.filter(isMasterEtcdVolume)).toHaveLength(0);
});

test("the real etcd cluster with masters that carry no etcd volume passes every policy", () => {
  expect(evaluatePolicies(cluster())).toEqual([]);
});

test("one real etcd node removed (even count) is caught", () => {
  const g = cluster();
  const victim = g.find(isEtcdNodeAsg);
  if (!victim) throw new Error("the real graph has no etcd node group");
  const found = evaluatePolicies(g.filter((r) => r !== victim));
  expect(found.map((v) => v.policy)).toContain("masters-odd-count-distinct-azs");
  expect(found.map((v) => v.message).join("\n")).toMatch(/2 etcd-node autoscaling groups/);
});

test("a real etcd volume moved into another member's zone is caught", () => {
  const g = cluster();
  const volumes = g.filter(isEtcdVolume);
  volumes[1].props.availabilityZone = volumes[0].props.availabilityZone;
  const found = evaluatePolicies(g).filter((v) => v.policy === "etcd-volume-per-master");
  expect(found.map((v) => v.message)).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/\(member 1\) is in eu-west-1a, but etcd node member 1 runs in eu-west-1b/),
    ]),
  );
});
