import { Cluster } from "./components/cluster";
import type { ClusterOutputs } from "./components/clusterOutputs";
import type { ClusterSpec } from "./config/types";

/** Builds the cluster from the stack's resolved spec and returns the stack outputs. */
export function buildCluster(spec: ClusterSpec): ClusterOutputs {
  return new Cluster(spec.clusterName, spec).outputs;
}
