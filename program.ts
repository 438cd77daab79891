import { Cluster } from "./components/cluster";
import type { ClusterOutputs } from "./components/clusterOutputs";
import { guardEtcdTopology } from "./components/clusterState";
import { guardKubernetesUpgrade } from "./components/rollGate";
import type { ClusterSpec } from "./config/types";

/**
 * Builds the cluster from the stack's resolved spec and returns the stack outputs. First, before
 * any resource registers, the upgrade guard reads the version the control plane reached (its
 * SSM parameter) and refuses a downgrade or a skipped minor (config/upgradePath.ts), and the
 * topology guard refuses a change of `etcd.topology` on a live cluster (config/topologyChange.ts).
 */
export async function buildCluster(spec: ClusterSpec): Promise<ClusterOutputs> {
  await guardKubernetesUpgrade(spec);
  await guardEtcdTopology(spec);
  return new Cluster(spec.clusterName, spec).outputs;
}
