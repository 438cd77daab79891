/** The node security-group rule table for every pod network: what is open, to whom. */

import { API_PORT } from "../../base/ports";
import { type NodeIngressRule, nodeIngressRules } from "../../components/securityGroups";
import type { CniProvider } from "../../config/types";

const providers: CniProvider[] = ["calico", "cilium", "flannel"];
const covers = (r: NodeIngressRule, protocol: string, port: number) =>
  r.protocol === protocol && r.fromPort <= port && port <= r.toPort;
const sourcesOf = (rules: NodeIngressRule[], target: string, protocol: string, port: number) =>
  new Set(rules.filter((r) => r.target === target && covers(r, protocol, port)).map((r) => r.source));

describe.each(providers)("%s", (cni) => {
  const rules = nodeIngressRules(cni);

  test("etcd client/peer and kubelet are reachable from masters only", () => {
    for (const port of [2379, 2380]) {
      expect(sourcesOf(rules, "masters", "tcp", port)).toEqual(new Set(["masters"]));
      expect(sourcesOf(rules, "workers", "tcp", port)).toEqual(new Set());
    }
    for (const target of ["masters", "workers"]) {
      expect(sourcesOf(rules, target, "tcp", 10250)).toEqual(new Set(["masters"]));
    }
  });

  test("the API is open on masters to the NLB and the nodes; scheduler/controller-manager never", () => {
    expect(sourcesOf(rules, "masters", "tcp", API_PORT)).toEqual(
      new Set(["apiLoadBalancer", "masters", "workers"]),
    );
    expect(sourcesOf(rules, "workers", "tcp", API_PORT)).toEqual(new Set());
    for (const port of [10257, 10259]) expect(rules.filter((r) => covers(r, "tcp", port))).toEqual([]);
  });

  test("NodePorts only on workers and only from the VPC; every rule is described", () => {
    for (const protocol of ["tcp", "udp"]) {
      expect(sourcesOf(rules, "workers", protocol, 30000)).toEqual(new Set(["vpc"]));
      expect(sourcesOf(rules, "workers", protocol, 32767)).toEqual(new Set(["vpc"]));
      expect(sourcesOf(rules, "masters", protocol, 30000)).toEqual(new Set());
    }
    for (const r of rules) expect(r.description.length).toBeGreaterThan(5);
  });
});

test("each pod network's overlay ports are open between all nodes, and no other network's", () => {
  const overlay: Record<CniProvider, [string, number][]> = {
    calico: [
      ["udp", 4789],
      ["tcp", 5473],
    ],
    cilium: [
      ["udp", 8472],
      ["tcp", 4240],
    ],
    flannel: [["udp", 8472]],
  };
  for (const cni of providers) {
    const rules = nodeIngressRules(cni);
    for (const target of ["masters", "workers"]) {
      for (const [protocol, port] of overlay[cni]) {
        expect(sourcesOf(rules, target, protocol, port)).toEqual(new Set(["masters", "workers"]));
      }
    }
    const others = providers.filter((p) => p !== cni).flatMap((p) => overlay[p]);
    const foreign = others.filter(
      ([protocol, port]) => !overlay[cni].some(([q, n]) => q === protocol && n === port),
    );
    for (const [protocol, port] of foreign)
      expect(rules.filter((r) => covers(r, protocol, port))).toEqual([]);
  }
});
