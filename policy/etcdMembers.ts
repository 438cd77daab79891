/**
 * Which autoscaling groups are the etcd members of a graph, and where they run. Stacked etcd
 * (the default) has one member on every master; the external topology (`etcd.topology: external`)
 * runs etcd on dedicated nodes, so as soon as a graph holds an etcd-node group, those groups are
 * the members and the masters hold no etcd data.
 */
import { asgZones, isEtcdNodeAsg, isMasterAsg } from "./masters";
import type { GraphResource } from "./types";

export type EtcdTopology = "stacked" | "external";

export interface EtcdMembers {
  topology: EtcdTopology;
  /** The etcd members' autoscaling groups: the etcd nodes' (external) or the masters' (stacked). */
  members: GraphResource[];
  /** How a finding names one member. */
  noun: "etcd node" | "master";
}

/**
 * The member counts config/validate-etcd.ts accepts for the external topology: an odd quorum of
 * at least three (one member tolerates no failure), at most seven (each write waits for a majority).
 */
export const EXTERNAL_MEMBER_COUNTS: readonly number[] = [3, 5, 7];

export function etcdMembers(resources: GraphResource[]): EtcdMembers {
  const etcdNodes = resources.filter(isEtcdNodeAsg);
  return etcdNodes.length > 0
    ? { topology: "external", members: etcdNodes, noun: "etcd node" }
    : { topology: "stacked", members: resources.filter(isMasterAsg), noun: "master" };
}

export interface Finding {
  urn: string;
  message: string;
}

/**
 * Zone checks shared by masters and etcd nodes: each group pinned to exactly one zone (a group
 * spanning zones can relaunch its node elsewhere, away from its volume) and no two groups in one
 * zone (losing that zone would cost two members). `plural` names the groups in the messages.
 */
export function distinctZoneFindings(
  groups: GraphResource[],
  resources: GraphResource[],
  plural: string,
): { findings: Finding[]; zoneOf: Map<GraphResource, string> } {
  const findings: Finding[] = [];
  const zoneOf = new Map<GraphResource, string>();
  const byZone = new Map<string, string[]>();
  for (const g of groups) {
    const zones = asgZones(g, resources);
    if (zones.length !== 1) {
      findings.push({
        urn: g.urn,
        message: `${g.name} must be pinned to exactly one availability zone, found ${zones.length} (${zones.join(", ")})`,
      });
      continue;
    }
    zoneOf.set(g, zones[0]);
    byZone.set(zones[0], [...(byZone.get(zones[0]) ?? []), g.name]);
  }
  for (const [zone, names] of byZone) {
    if (names.length > 1) {
      findings.push({ urn: "", message: `${plural} ${names.join(", ")} share availability zone ${zone}` });
    }
  }
  return { findings, zoneOf };
}
