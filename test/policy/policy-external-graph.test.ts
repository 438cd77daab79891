/**
 * The policy pack against the REAL dev and prod graphs in the external etcd topology (index.ts
 * under mocks, each stack's own config plus `etcd.topology: external` with three members): both
 * pass, the etcd members are the three etcd-node groups in three zones, the masters carry no etcd
 * volume, and a fault injected into the real external graph is caught by the rule it concerns.
 * This needs the external topology wired into components/cluster.ts and the refusal in
 * config/validate-etcd.ts lifted; until then synthesize refuses the config and these tests fail.
 */

import { defaultEtcdVersion } from "../../config/etcd-versions";
import { kubernetesMinor } from "../../config/semver";
import { parseConfig } from "../../config/stack";
import { etcdMembers } from "../../policy/etcdMembers";
import { asgZones, isEtcdVolume, isMasterAsg, isMasterEtcdVolume } from "../../policy/masters";
import { evaluatePolicies } from "../../policy/registry";
import type { GraphResource } from "../../policy/types";
import { toGraphResources } from "../../synth/graph";
import { PROJECT_NAME, readStackConfig, synthesize } from "../../synth/mockRuntime";

const STACKS = ["dev", "prod"] as const;
const graphs = new Map<string, GraphResource[]>();

/** The stack's own etcd section (prod tunes the volume) with the external topology on top. */
function externalEtcd(stack: string): Record<string, unknown> {
  const config = readStackConfig(stack);
  const own = config[`${PROJECT_NAME}:etcd`];
  const minor = kubernetesMinor(parseConfig(config).kubernetesVersion);
  const version = minor === undefined ? undefined : defaultEtcdVersion(minor);
  if (version === undefined) throw new Error(`${stack}: no default etcd release for its Kubernetes version`);
  return {
    ...(own === undefined ? {} : (JSON.parse(own) as Record<string, unknown>)),
    topology: "external",
    members: 3,
    version,
  };
}

beforeAll(async () => {
  for (const stack of STACKS) {
    graphs.set(stack, toGraphResources(await synthesize(stack, { etcd: externalEtcd(stack) })));
  }
});

function graph(stack: string): GraphResource[] {
  const g = graphs.get(stack);
  if (!g) throw new Error(`${stack} was not synthesized`);
  return JSON.parse(JSON.stringify(g)) as GraphResource[];
}

test.each(STACKS)("the external %s graph passes every policy", (stack) => {
  expect(evaluatePolicies(graph(stack))).toEqual([]);
});

test.each(STACKS)("external %s: three etcd members in three zones, masters without etcd volumes", (stack) => {
  const g = graph(stack);
  const { topology, members } = etcdMembers(g);
  expect(topology).toBe("external");
  const zones = members.map((m) => asgZones(m, g));
  expect(zones.every((z) => z.length === 1)).toBe(true);
  expect(new Set(zones.map((z) => z[0])).size).toBe(3);
  expect(members.filter(isMasterAsg)).toEqual([]);
  expect(g.filter(isEtcdVolume)).toHaveLength(3);
  expect(g.filter(isMasterEtcdVolume)).toEqual([]);
});

const policiesOf = (g: GraphResource[]) => new Set(evaluatePolicies(g).map((v) => v.policy));

const injections: [string, string, (g: GraphResource[]) => GraphResource[]][] = [
  [
    "one etcd node removed (even count)",
    "masters-odd-count-distinct-azs",
    (g) => {
      const victim = etcdMembers(g).members[0];
      return g.filter((r) => r !== victim);
    },
  ],
  [
    "an etcd volume moved into another member's zone",
    "etcd-volume-per-master",
    (g) => {
      const volumes = g.filter(isEtcdVolume);
      volumes[1].props.availabilityZone = volumes[0].props.availabilityZone;
      return g;
    },
  ],
  [
    "a master given an etcd volume again",
    "etcd-volume-per-master",
    (g) => {
      const source = g.filter(isEtcdVolume)[0];
      const tags = { ...(source.props.tags as Record<string, string>), "k8sha.io/role": "master" };
      const copy = {
        ...source,
        name: "injected-cp-etcd",
        urn: `${source.urn}-cp`,
        props: { ...source.props, tags },
      };
      return [...g, copy];
    },
  ],
];

test.each(injections)("caught in the real external dev graph: %s", (_label, policy, inject) => {
  expect(policiesOf(inject(graph("dev")))).toContain(policy);
});
