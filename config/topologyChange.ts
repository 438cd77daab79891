/**
 * Whether a stack may deploy its `etcd.topology` over the cluster that exists. Never a change: the
 * two topologies keep etcd's data in different places (a volume per master, or a volume per
 * dedicated etcd node), so moving between them is a restore of a snapshot onto a new cluster,
 * not an update; an update would start an empty etcd beside the data and point the API servers
 * at it. Pure: the caller reads what is deployed (components/clusterState.ts reads it from SSM).
 */
import type { EtcdTopology } from "./types";

/** What the guard compares. */
export interface TopologyChange {
  /** The deployed topology; undefined for a new cluster. */
  deployed: EtcdTopology | undefined;
  /** The stack's `etcd.topology`. */
  requested: EtcdTopology;
  /** Where `deployed` was read from, for the message. */
  source: string;
}

/** Thrown when a stack asks for another topology than the cluster's. */
export class TopologyChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TopologyChangeError";
  }
}

/** Why `change` is refused, or undefined when it is allowed (nothing deployed, or the same topology). */
export function topologyChangeProblem(change: TopologyChange): string | undefined {
  const { deployed, requested, source } = change;
  if (deployed === undefined || deployed === requested) return undefined;
  return (
    `etcd.topology ${requested} cannot be deployed over ${deployed} (the cluster's topology, read from ${source}): ` +
    "etcd's data would stay where it is and the API servers would start on an empty etcd. " +
    `Keep etcd.topology ${deployed}, or move by restoring a snapshot onto a new cluster (docs/topologies.md)`
  );
}

/** Throws a TopologyChangeError naming both topologies and `source` when `change` is refused. */
export function checkTopologyChange(change: TopologyChange): void {
  const problem = topologyChangeProblem(change);
  if (problem !== undefined) throw new TopologyChangeError(problem);
}
