/**
 * The node security-group rule table in both etcd topologies: stacked is the default and keeps
 * every rule it had; external takes etcd off the masters and gives the etcd nodes their own
 * group, open on 2379 to masters and etcd nodes and on 2380 to etcd nodes only, nothing else.
 * Then the SecurityGroups component under mocks: the etcd group exists only in external.
 */
import * as pulumi from "@pulumi/pulumi";
import { type NodeIngressRule, nodeIngressRules } from "../../components/securityGroups";
import type { CniProvider } from "../../config/types";

const providers: CniProvider[] = ["calico", "cilium", "flannel"];
const covers = (r: NodeIngressRule, protocol: string, port: number) =>
  r.protocol === protocol && r.fromPort <= port && port <= r.toPort;
const sourcesOf = (rules: NodeIngressRule[], target: string, protocol: string, port: number) =>
  new Set(rules.filter((r) => r.target === target && covers(r, protocol, port)).map((r) => r.source));
const key = (r: NodeIngressRule) => `${r.target}<-${r.source} ${r.protocol} ${r.fromPort}-${r.toPort}`;

describe.each(providers)("%s", (cni) => {
  const stacked = nodeIngressRules(cni, "stacked");
  const external = nodeIngressRules(cni, "external");

  test("stacked is the default, rule for rule and in the same order", () => {
    expect(nodeIngressRules(cni)).toEqual(stacked);
    expect(stacked.some((r) => r.target === "etcd" || r.source === "etcd")).toBe(false);
  });

  test("external: 2379 from masters and etcd nodes, 2380 from etcd nodes only, on the etcd group", () => {
    expect(sourcesOf(external, "etcd", "tcp", 2379)).toEqual(new Set(["masters", "etcd"]));
    expect(sourcesOf(external, "etcd", "tcp", 2380)).toEqual(new Set(["etcd"]));
  });

  test("external: nothing else reaches an etcd node (no kubelet, no overlay, no metrics, no ICMP)", () => {
    const onEtcd = external.filter((r) => r.target === "etcd");
    expect(onEtcd.map(key).sort()).toEqual([
      "etcd<-etcd tcp 2379-2379",
      "etcd<-etcd tcp 2380-2380",
      "etcd<-masters tcp 2379-2379",
    ]);
    for (const r of onEtcd) expect(r.description.length).toBeGreaterThan(5);
  });

  test("external: the masters run no etcd, so their etcd rule goes and nothing else changes", () => {
    for (const port of [2379, 2380]) {
      expect(sourcesOf(external, "masters", "tcp", port)).toEqual(new Set());
      expect(sourcesOf(external, "workers", "tcp", port)).toEqual(new Set());
    }
    const removed = stacked.filter((r) => !external.map(key).includes(key(r)));
    expect(removed.map(key)).toEqual(["masters<-masters tcp 2379-2380"]);
    const added = external.filter((r) => !stacked.map(key).includes(key(r)));
    expect(added.every((r) => r.target === "etcd")).toBe(true);
    // The etcd group admits no role it does not need as a source elsewhere either.
    expect(external.filter((r) => r.source === "etcd").every((r) => r.target === "etcd")).toBe(true);
  });
});

describe("SecurityGroups component", () => {
  interface Registered {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
  }
  const registered: Registered[] = [];

  beforeAll(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
      },
      "k8s-ha",
      "unit",
      false,
    );
  });

  const build = async (name: string, etcdTopology?: "stacked" | "external") => {
    const { SecurityGroups } = await import("../../components/securityGroups");
    const groups = new SecurityGroups(name, {
      clusterName: "unit",
      vpcId: "vpc-1",
      vpcCidr: "10.0.0.0/16",
      apiLoadBalancerSecurityGroupId: "sg-nlb",
      cniProvider: "calico",
      etcdTopology,
      tags: {},
    });
    await new Promise((resolve) => groups.workerSecurityGroupId.apply(resolve));
    const etcdId = groups.etcdSecurityGroupId
      ? await new Promise((resolve) => groups.etcdSecurityGroupId?.apply(resolve))
      : undefined;
    // Let every rule's registration reach the mock.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const mine = registered.filter((r) => r.name.startsWith(`${name}-`));
    return { etcdId, mine };
  };
  const SG = "aws:ec2/securityGroup:SecurityGroup";
  const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
  const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";

  test("stacked: no etcd group and no etcdSecurityGroupId", async () => {
    const { etcdId, mine } = await build("st");
    expect(etcdId).toBeUndefined();
    expect(mine.filter((r) => r.type === SG).map((r) => r.name)).toEqual(["st-masters", "st-workers"]);
  });

  test("external: the etcd group, its three ingress rules and its egress", async () => {
    const { etcdId, mine } = await build("ex", "external");
    expect(etcdId).toBe("ex-etcd-id");
    expect(mine.filter((r) => r.type === SG).map((r) => r.name)).toEqual([
      "ex-masters",
      "ex-workers",
      "ex-etcd",
    ]);
    const onEtcd = mine.filter((r) => r.type === INGRESS && r.inputs.securityGroupId === "ex-etcd-id");
    expect(
      onEtcd.map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.fromPort, r.inputs.toPort]).sort(),
    ).toEqual([
      ["ex-etcd-id", 2379, 2379],
      ["ex-etcd-id", 2380, 2380],
      ["ex-masters-id", 2379, 2379],
    ]);
    expect(mine.some((r) => r.type === EGRESS && r.inputs.securityGroupId === "ex-etcd-id")).toBe(true);
    const mastersEtcd = mine.filter(
      (r) => r.type === INGRESS && r.inputs.securityGroupId === "ex-masters-id" && r.inputs.fromPort === 2379,
    );
    expect(mastersEtcd).toEqual([]);
  });
});
