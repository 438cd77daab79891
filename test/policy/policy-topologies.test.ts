/**
 * The etcd rules in both topologies, over hand-built graphs shaped like the program's (role and
 * etcd-member tags from base/, ASG tag lists, zones from the subnets a group depends on).
 * Stacked: the masters are the etcd members. External: the etcd-node groups (role tag `etcd`)
 * are, each with its own volume, and the masters carry none. Every fault must be caught by the
 * rule it names, with the finding it claims, and by no other policy.
 */
import { TAG_ETCD_MEMBER, TAG_ROLE } from "../../base/tags";
import { etcdMembers } from "../../policy/etcdMembers";
import { isEtcdNodeAsg, isMasterAsg, isMasterEtcdVolume } from "../../policy/masters";
import { evaluatePolicies } from "../../policy/registry";
import type { GraphResource, Violation } from "../../policy/types";

const ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d", "eu-west-1e"];
const ASG = "aws:autoscaling/group:Group";
const VOLUME = "aws:ebs/volume:Volume";
const SUBNET = "aws:ec2/subnet:Subnet";
const ODD = "masters-odd-count-distinct-azs";
const VOL = "etcd-volume-per-master";

const urn = (type: string, name: string) => `urn:pulumi:t::k8s-ha::${type}::${name}`;
const res = (type: string, name: string, props: Record<string, unknown>, deps: string[] = []) => ({
  type,
  name,
  urn: urn(type, name),
  props,
  dependencies: deps,
});
const subnetUrn = (zone: string) => urn(SUBNET, `private-${zone}`);
const asgTags = (tags: Record<string, string>) =>
  Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true }));

function group(name: string, role: string, member: number, zone: string): GraphResource {
  const tags = { [TAG_ROLE]: role, [TAG_ETCD_MEMBER]: String(member), Name: name };
  return res(ASG, `${name}-asg`, { tags: asgTags(tags), vpcZoneIdentifiers: [`subnet-${zone}`] }, [
    subnetUrn(zone),
  ]);
}
function volume(name: string, role: string, member: number, zone: string): GraphResource {
  const tags = { [TAG_ROLE]: role, [TAG_ETCD_MEMBER]: String(member), Name: `t-etcd-${member}` };
  return res(VOLUME, name, { availabilityZone: zone, encrypted: true, tags });
}
const subnets = () => ZONES.map((z) => res(SUBNET, `private-${z}`, { availabilityZone: z }));
const masters = (n: number) => ZONES.slice(0, n).map((z, i) => group(`t-master-${i}`, "master", i, z));

function stacked(n = 3): GraphResource[] {
  const volumes = ZONES.slice(0, n).map((z, i) => volume(`t-cp-${i}-etcd`, "master", i, z));
  return [...subnets(), ...masters(n), ...volumes];
}
function external(members = 3, masterCount = 3): GraphResource[] {
  const nodes = ZONES.slice(0, members).map((z, i) => group(`t-etcd-${i}`, "etcd", i, z));
  const volumes = ZONES.slice(0, members).map((z, i) => volume(`t-etcd-${i}-etcd`, "etcd", i, z));
  return [...subnets(), ...masters(masterCount), ...nodes, ...volumes];
}

const find = (g: GraphResource[], name: string) => {
  const r = g.find((x) => x.name === name);
  if (!r) throw new Error(`fixture has no ${name}`);
  return r;
};
const without = (g: GraphResource[], ...names: string[]) => g.filter((r) => !names.includes(r.name));
const moveGroup = (g: GraphResource[], name: string, zone: string) => {
  find(g, name).dependencies = [subnetUrn(zone)];
  return g;
};
const moveVolume = (g: GraphResource[], name: string, zone: string) => {
  find(g, name).props.availabilityZone = zone;
  return g;
};
const messages = (vs: Violation[]) => vs.map((v) => `${v.policy}: ${v.message}`);

describe("recognising etcd nodes", () => {
  test("role tag etcd is an etcd node and no master; any other role tag is never an etcd node", () => {
    const etcd = group("t-etcd-0", "etcd", 0, ZONES[0]);
    expect([isEtcdNodeAsg(etcd), isMasterAsg(etcd)]).toEqual([true, false]);
    const master = group("t-master-0", "master", 0, ZONES[0]);
    expect([isEtcdNodeAsg(master), isMasterAsg(master)]).toEqual([false, true]);
    // A worker pool whose name mentions etcd is still a worker: the tag decides, not the name.
    expect(isEtcdNodeAsg(group("etcd-tools", "worker", 0, ZONES[0]))).toBe(false);
  });

  test("without a role tag, only a name that says etcd and not master counts", () => {
    const untagged = (name: string) => res(ASG, name, {});
    expect(isEtcdNodeAsg(untagged("prod-etcd-1-asg"))).toBe(true);
    expect(isEtcdNodeAsg(untagged("etcd-master-0"))).toBe(false);
    expect(isMasterAsg(untagged("etcd-master-0"))).toBe(true);
    expect(isEtcdNodeAsg(untagged("prod-general-asg"))).toBe(false);
    expect(isEtcdNodeAsg(res(VOLUME, "prod-etcd-1", {}))).toBe(false);
  });

  test("the members are the etcd nodes when there are any, else the masters", () => {
    const ext = etcdMembers(external());
    expect([ext.topology, ext.members.map((m) => m.name)]).toEqual([
      "external",
      ["t-etcd-0-asg", "t-etcd-1-asg", "t-etcd-2-asg"],
    ]);
    const st = etcdMembers(stacked());
    expect([st.topology, st.members.map((m) => m.name)]).toEqual([
      "stacked",
      ["t-master-0-asg", "t-master-1-asg", "t-master-2-asg"],
    ]);
  });

  test("a master's etcd volume is told from an etcd node's by its role tag, else its name", () => {
    expect(isMasterEtcdVolume(volume("v", "master", 0, ZONES[0]))).toBe(true);
    expect(isMasterEtcdVolume(volume("v", "etcd", 0, ZONES[0]))).toBe(false);
    expect(isMasterEtcdVolume(res(VOLUME, "master-0-etcd", {}))).toBe(true);
    expect(isMasterEtcdVolume(res(VOLUME, "node-0-etcd", {}))).toBe(false);
  });
});

describe("external topology", () => {
  test.each([
    [3, 3],
    [5, 3],
    [3, 1],
    [5, 5],
  ])("%d etcd nodes with their volumes and %d master(s) without any pass every policy", (n, m) => {
    expect(evaluatePolicies(external(n, m))).toEqual([]);
  });

  const faults: [string, () => GraphResource[], RegExp[]][] = [
    [
      "two etcd nodes (even)",
      () => without(external(), "t-etcd-2-asg", "t-etcd-2-etcd"),
      [/^masters-odd-count-distinct-azs: 2 etcd-node autoscaling groups: external etcd needs 3, 5, 7/],
    ],
    [
      "one etcd node (odd, but no quorum to lose a member)",
      () => without(external(), "t-etcd-1-asg", "t-etcd-1-etcd", "t-etcd-2-asg", "t-etcd-2-etcd"),
      [/^masters-odd-count-distinct-azs: 1 etcd-node autoscaling groups: external etcd needs 3, 5, 7/],
    ],
    [
      "two etcd nodes in one zone",
      () => moveVolume(moveGroup(external(), "t-etcd-2-asg", ZONES[0]), "t-etcd-2-etcd", ZONES[0]),
      [
        /^masters-odd-count-distinct-azs: etcd nodes t-etcd-0-asg, t-etcd-2-asg share availability zone eu-west-1a$/,
      ],
    ],
    [
      "an etcd node allowed into two zones",
      () => {
        const g = external();
        find(g, "t-etcd-1-asg").dependencies.push(subnetUrn(ZONES[3]));
        return g;
      },
      [
        /^masters-odd-count-distinct-azs: t-etcd-1-asg must be pinned to exactly one availability zone, found 2/,
        // Unpinned, it is no member of a zone, so its volume has no zone to be in.
        /^etcd-volume-per-master: 3 etcd volumes for 2 etcd nodes/,
        /^etcd-volume-per-master: etcd volume\(s\) t-etcd-1-etcd in eu-west-1b, where no etcd node runs$/,
      ],
    ],
    [
      "an etcd volume in another member's zone",
      () => moveVolume(external(), "t-etcd-1-etcd", ZONES[0]),
      [
        /^etcd-volume-per-master: zone eu-west-1a: 1 etcd node\(s\) but 2 etcd volume\(s\) \(t-etcd-0-etcd, t-etcd-1-etcd\)$/,
        /^etcd-volume-per-master: zone eu-west-1b: 1 etcd node\(s\) but 0 etcd volume\(s\)/,
        /^etcd-volume-per-master: etcd volume t-etcd-1-etcd \(member 1\) is in eu-west-1a, but etcd node member 1 runs in eu-west-1b$/,
      ],
    ],
    [
      "an etcd volume in a zone with no etcd node",
      () => [...external(), volume("t-etcd-3-etcd", "etcd", 3, ZONES[3])],
      [
        /^etcd-volume-per-master: 4 etcd volumes for 3 etcd nodes: need exactly one each$/,
        /^etcd-volume-per-master: etcd volume\(s\) t-etcd-3-etcd in eu-west-1d, where no etcd node runs$/,
      ],
    ],
    [
      "two members' volumes swapped between their zones",
      () => moveVolume(moveVolume(external(), "t-etcd-0-etcd", ZONES[1]), "t-etcd-1-etcd", ZONES[0]),
      [
        /^etcd-volume-per-master: etcd volume t-etcd-0-etcd \(member 0\) is in eu-west-1b, but etcd node member 0 runs in eu-west-1a$/,
        /^etcd-volume-per-master: etcd volume t-etcd-1-etcd \(member 1\) is in eu-west-1a, but etcd node member 1 runs in eu-west-1b$/,
      ],
    ],
    [
      "a master with an etcd volume",
      () => [...external(), volume("t-cp-0-etcd", "master", 0, ZONES[0])],
      [
        /^etcd-volume-per-master: etcd volume t-cp-0-etcd belongs to a master: with external etcd the masters keep no etcd data$/,
      ],
    ],
    [
      "every master still carrying its stacked etcd volume",
      () => [...external(), ...stacked().filter((r) => r.type === VOLUME)],
      ["t-cp-0-etcd", "t-cp-1-etcd", "t-cp-2-etcd"].map(
        (v) => new RegExp(`^etcd-volume-per-master: etcd volume ${v} belongs to a master`),
      ),
    ],
    [
      "an even master count",
      () => without(external(), "t-master-2-asg"),
      [/^masters-odd-count-distinct-azs: 2 control-plane autoscaling groups: masters\.count is odd/],
    ],
    [
      "two masters in one zone",
      () => moveGroup(external(), "t-master-2-asg", ZONES[0]),
      [
        /^masters-odd-count-distinct-azs: masters t-master-0-asg, t-master-2-asg share availability zone eu-west-1a$/,
      ],
    ],
  ];
  test.each(faults)("%s is caught, and only for that", (_label, graph, expected) => {
    const found = messages(evaluatePolicies(graph()));
    expect(found).toHaveLength(expected.length);
    for (const [i, pattern] of expected.entries()) expect(found[i]).toMatch(pattern);
  });
});

describe("stacked topology, as before", () => {
  test.each([1, 3, 5])("%d master(s) each with their volume pass every policy", (n) => {
    expect(evaluatePolicies(stacked(n))).toEqual([]);
  });

  // The stacked findings, word for word as the rules gave them before they knew external etcd.
  const faults: [string, () => GraphResource[], string[]][] = [
    [
      "an even master count",
      () => without(stacked(), "t-master-2-asg", "t-cp-2-etcd"),
      [`${ODD}: 2 control-plane autoscaling groups: etcd needs an odd count (3, 5, 7)`],
    ],
    [
      "two masters in one zone",
      () => moveGroup(stacked(), "t-master-2-asg", ZONES[0]),
      [
        `${ODD}: masters t-master-0-asg, t-master-2-asg share availability zone eu-west-1a`,
        `${VOL}: zone eu-west-1a: 2 master(s) but 1 etcd volume(s) (t-cp-0-etcd)`,
        `${VOL}: etcd volume(s) t-cp-2-etcd in eu-west-1c, where no master runs`,
      ],
    ],
    [
      "an etcd volume in another master's zone",
      () => moveVolume(stacked(), "t-cp-1-etcd", ZONES[0]),
      [
        `${VOL}: zone eu-west-1a: 1 master(s) but 2 etcd volume(s) (t-cp-0-etcd, t-cp-1-etcd)`,
        `${VOL}: zone eu-west-1b: 1 master(s) but 0 etcd volume(s) ()`,
      ],
    ],
    [
      "a master without its volume",
      () => without(stacked(), "t-cp-2-etcd"),
      [
        `${VOL}: 2 etcd volumes for 3 masters: need exactly one each`,
        `${VOL}: zone eu-west-1c: 1 master(s) but 0 etcd volume(s) ()`,
      ],
    ],
    [
      "no master at all",
      () => stacked().filter((r) => r.type !== ASG),
      [
        `${ODD}: no control-plane autoscaling group found`,
        `${VOL}: 3 etcd volumes for 0 masters: need exactly one each`,
        ...["a", "b", "c"].map(
          (z, i) => `${VOL}: etcd volume(s) t-cp-${i}-etcd in eu-west-1${z}, where no master runs`,
        ),
      ],
    ],
  ];
  test.each(faults)("%s gives the stacked findings", (_label, graph, expected) => {
    expect(messages(evaluatePolicies(graph()))).toEqual(expected);
  });
});
