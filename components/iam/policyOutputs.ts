/** Input-accepting wrappers of the pure policy builders, for use with Pulumi outputs. */
import * as pulumi from "@pulumi/pulumi";
import { etcdNodePolicyDocument } from "./etcdNodePolicy";
import { masterPolicyDocument, workerPolicyDocument } from "./policies";
import type { PolicyDocument } from "./policyDocument";

/**
 * The inputs of one etcd member's policy: a master's (stacked) or a dedicated etcd node's
 * (external); each member's node may touch only its own volume and address.
 */
export interface EtcdMemberPolicyInputs {
  /** Cluster name (the `k8sha.io/cluster` tag value the EC2 conditions match). */
  clusterName: string;
  region: pulumi.Input<string>;
  /** Account id, e.g. `aws.getCallerIdentityOutput().accountId`. */
  accountId: pulumi.Input<string>;
  /** `aws` unless GovCloud or China. */
  partition?: pulumi.Input<string>;
  /** ARN of THIS member's etcd volume. */
  etcdVolumeArn: pulumi.Input<string>;
  /** THIS member's subnet and etcd-member tag value: where it may assign its stable address. */
  stableAddress: { subnetId: pulumi.Input<string>; member: string };
  /** `ssmPrefix(clusterName)`. */
  ssmPrefix: string;
  /** `ClusterSecrets.kmsKeyArn`. */
  kmsKeyArn: pulumi.Input<string>;
  /** etcd backup bucket ARN and key prefix, when backups are on. */
  backup?: { bucketArn: pulumi.Input<string>; prefix: pulumi.Input<string> };
  /** Bucket ARN and key prefix (`bootBundlePrefix()`) of the boot bundles. */
  bootBundle: { bucketArn: pulumi.Input<string>; prefix: pulumi.Input<string> };
}

/**
 * `masterPolicyDocument()`'s inputs. `etcdVolumeArn` absent: a master of the external topology,
 * which holds no etcd volume and is only a client of the etcd nodes.
 */
export type MasterPolicyInputs = Omit<EtcdMemberPolicyInputs, "etcdVolumeArn"> & {
  etcdVolumeArn?: pulumi.Input<string>;
};
/** `etcdNodePolicyDocument()`'s inputs: the same scope, judged against the `etcd` role tag. */
export type EtcdNodePolicyInputs = EtcdMemberPolicyInputs;

export interface WorkerPolicyInputs {
  /** Cluster name (tag conditions). */
  clusterName: string;
  region: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  partition?: pulumi.Input<string>;
  ssmPrefix: string;
  kmsKeyArn: pulumi.Input<string>;
  /** Bucket ARN and key prefix (`bootBundlePrefix()`) of the boot bundles. */
  bootBundle: { bucketArn: pulumi.Input<string>; prefix: pulumi.Input<string> };
}

/** masterPolicyDocument() once every input is known. */
export function masterPolicy(inputs: MasterPolicyInputs): pulumi.Output<PolicyDocument> {
  return pulumi.output(inputs).apply(masterPolicyDocument);
}

/** workerPolicyDocument() once every input is known. */
export function workerPolicy(inputs: WorkerPolicyInputs): pulumi.Output<PolicyDocument> {
  return pulumi.output(inputs).apply(workerPolicyDocument);
}

/** etcdNodePolicyDocument() once every input is known. */
export function etcdNodePolicy(inputs: EtcdNodePolicyInputs): pulumi.Output<PolicyDocument> {
  return pulumi.output(inputs).apply(etcdNodePolicyDocument);
}
