import { Cluster } from "./components/cluster";
import type { ClusterOutputs } from "./components/clusterOutputs";
import { guardKubernetesUpgrade } from "./components/rollGate";
import type { ClusterSpec } from "./config/types";

/**
 * Builds the cluster from the stack's resolved spec and returns the stack outputs. First, before
 * any resource registers, the upgrade guard reads the version the control plane reached (its
 * SSM parameter) and refuses a downgrade or a skipped minor (config/upgradePath.ts).
 */
export async function buildCluster(spec: ClusterSpec): Promise<ClusterOutputs> {
  await guardKubernetesUpgrade(spec);
  return new Cluster(spec.clusterName, spec).outputs;
}
