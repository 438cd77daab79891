import * as pulumi from "@pulumi/pulumi";
import type { ApiLoadBalancer } from "./apiLoadBalancer";
import type { ClusterBucket } from "./clusterBucket";
import type { ControlPlane } from "./controlPlane";
import type { EtcdCluster } from "./etcd/etcdCluster";
import { adminKubeconfig } from "./kubeconfig";
import type { Network } from "./network";
import type { WorkerPool } from "./nodes/workerPool";
import type { ClusterPki } from "./pki";
import type { ValidationTarget } from "./validationTarget";

/**
 * What a cluster exports (README "Outputs"): the stack outputs of `index.ts` and the outputs
 * of the multi-language wrapper (provider/cluster.ts). A type alias, not an interface, so it
 * is also a plain `Record<string, ...>` of stack outputs.
 */
export type ClusterOutputs = {
  clusterName: string;
  vpcId: pulumi.Output<string>;
  availabilityZones: pulumi.Output<string>[];
  privateSubnetIds: pulumi.Output<string>[];
  publicSubnetIds: pulumi.Output<string>[];
  /** `https://<NLB DNS name>:6443`. */
  apiEndpoint: pulumi.Output<string>;
  apiLoadBalancerDnsName: pulumi.Output<string>;
  /** One ASG per master, master 0 first. */
  masterAsgNames: pulumi.Output<string[]>;
  /** The etcd volume of each master, same order. */
  etcdVolumeIds: pulumi.Output<string[]>;
  /** `s3://bucket/prefix` of the etcd snapshots. */
  backupLocation: pulumi.Output<string>;
  /** Worker ASG name by pool name. */
  workerAsgNames: Record<string, pulumi.Output<string>>;
  /** Admin kubeconfig (client certificate): a secret. */
  kubeconfig: pulumi.Output<string>;
  /** What `npm run validate -- <stack>` checks the cluster against (`KEY=value` lines). */
  validationTarget: pulumi.Output<string>;
};

/** The parts of a built cluster its outputs are read from (the `Cluster` component's fields). */
export interface ClusterParts {
  network: Network;
  apiLoadBalancer: ApiLoadBalancer;
  pki: ClusterPki;
  controlPlane: ControlPlane;
  /** The dedicated etcd nodes (external etcd): their volumes are then the etcd volumes. */
  etcdCluster?: EtcdCluster;
  bucket: ClusterBucket;
  /** Same order as `poolNames`. */
  workerPools: WorkerPool[];
  validation: ValidationTarget;
}

/** The outputs of a cluster named `clusterName` whose worker pools are named `poolNames`. */
export function clusterOutputs(
  clusterName: string,
  poolNames: string[],
  parts: ClusterParts,
): ClusterOutputs {
  const { network, apiLoadBalancer, pki, controlPlane } = parts;
  return {
    clusterName,
    vpcId: network.vpcId,
    availabilityZones: network.availabilityZones,
    privateSubnetIds: network.privateSubnetIds,
    publicSubnetIds: network.publicSubnetIds,
    apiEndpoint: apiLoadBalancer.endpoint,
    apiLoadBalancerDnsName: apiLoadBalancer.dnsName,
    masterAsgNames: pulumi.all(controlPlane.asgNames),
    etcdVolumeIds: pulumi.all(parts.etcdCluster?.etcdVolumeIds ?? controlPlane.etcdVolumeIds),
    backupLocation: parts.bucket.location,
    workerAsgNames: Object.fromEntries(poolNames.map((pool, i) => [pool, parts.workerPools[i].asgName])),
    kubeconfig: adminKubeconfig({
      clusterName,
      server: apiLoadBalancer.endpoint,
      caCertPem: pki.caCertPem,
      clientCertPem: pki.adminCertPem,
      clientKeyPem: pki.adminKeyPem,
    }),
    validationTarget: parts.validation.text,
  };
}
