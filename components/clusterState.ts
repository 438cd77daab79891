import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { etcdTopologyParameterName, kubernetesVersionParameterName } from "../base/ssmPaths";
import { checkTopologyChange } from "../config/topologyChange";
import type { EtcdTopology } from "../config/types";
import { deployedKubernetesVersion, parameterNotFoundMessage } from "./rollGate";

const TOPOLOGIES: readonly string[] = ["stacked", "external"] satisfies EtcdTopology[];

/**
 * The etcd topology of the deployed cluster: its topology parameter; without one, `stacked` when
 * the cluster exists (its Kubernetes version parameter does: every cluster built before the
 * topology parameter is stacked), else undefined (a new cluster). Any read failure is thrown:
 * the guard must not pass because it could not look.
 */
export async function deployedEtcdTopology(
  clusterName: string,
  opts?: pulumi.InvokeOptions,
): Promise<EtcdTopology | undefined> {
  const name = etcdTopologyParameterName(clusterName);
  try {
    const found = await aws.ssm.getParameter({ name, withDecryption: false }, opts);
    if (!TOPOLOGIES.includes(found.value))
      throw new Error(`SSM parameter ${name} holds "${found.value}", not one of ${TOPOLOGIES.join(", ")}`);
    return found.value as EtcdTopology;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!message.includes(parameterNotFoundMessage(name)))
      throw new Error(`could not read the deployed etcd topology from SSM parameter ${name}: ${message}`);
  }
  return (await deployedKubernetesVersion(clusterName, opts)) === undefined ? undefined : "stacked";
}

/**
 * The topology guard for a program that builds the Cluster component itself: call and await it
 * before `new Cluster(...)`. Throws a TopologyChangeError naming both topologies when
 * `etcd.topology` differs from the deployed cluster's (config/topologyChange.ts says why).
 */
export async function guardEtcdTopology(
  spec: { clusterName: string; etcd: { topology: EtcdTopology } },
  opts?: pulumi.InvokeOptions,
): Promise<void> {
  checkTopologyChange({
    deployed: await deployedEtcdTopology(spec.clusterName, opts),
    requested: spec.etcd.topology,
    source: `SSM parameters ${etcdTopologyParameterName(spec.clusterName)} and ${kubernetesVersionParameterName(spec.clusterName)}`,
  });
}

/** What the two guards read back on the next `pulumi up`. */
export interface ClusterStateArgs {
  /** Cluster name (plain: the parameters' names). */
  clusterName: string;
  /** The version every master runs once the last roll gate passed. */
  kubernetesVersion: string;
  /** Where this cluster's etcd runs. */
  etcdTopology: EtcdTopology;
  /** The last master's roll gate, else the control plane: the version is written once every master runs it. */
  after: pulumi.Input<pulumi.Resource>;
  /** Tags on both parameters. */
  tags: Record<string, string>;
}

/**
 * The Kubernetes version every master reached and the cluster's etcd topology, as plain String
 * parameters the guards read before any resource registers. `insecureValue` keeps them readable
 * in diffs (`value` is always marked secret); a fixed name is taken until the old one is gone.
 */
export function clusterStateParameters(
  name: string,
  args: ClusterStateArgs,
  opts: pulumi.ComponentResourceOptions,
): { kubernetesVersion: aws.ssm.Parameter; etcdTopology: aws.ssm.Parameter } {
  const kubernetesVersion = new aws.ssm.Parameter(
    `${name}-kubernetes-version`,
    {
      name: kubernetesVersionParameterName(args.clusterName),
      description: "Kubernetes version every master reached (k8sha upgrade guard)",
      type: "String",
      insecureValue: args.kubernetesVersion,
      tags: args.tags,
    },
    { ...opts, dependsOn: [args.after], deleteBeforeReplace: true },
  );
  const etcdTopology = new aws.ssm.Parameter(
    `${name}-etcd-topology`,
    {
      name: etcdTopologyParameterName(args.clusterName),
      description: "Where this cluster's etcd runs (k8sha topology guard)",
      type: "String",
      insecureValue: args.etcdTopology,
      tags: args.tags,
    },
    { ...opts, deleteBeforeReplace: true },
  );
  return { kubernetesVersion, etcdTopology };
}
