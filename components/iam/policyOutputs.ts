/** Input-accepting wrappers of the pure policy builders, for use with Pulumi outputs. */
import * as pulumi from "@pulumi/pulumi";
import { masterPolicyDocument, workerPolicyDocument } from "./policies";
import type { PolicyDocument } from "./policyDocument";

export interface MasterPolicyInputs {
  /** Cluster name (the `k8sha.io/cluster` tag value the EC2 conditions match). */
  clusterName: string;
  region: pulumi.Input<string>;
  /** Account id, e.g. `aws.getCallerIdentityOutput().accountId`. */
  accountId: pulumi.Input<string>;
  /** `aws` unless GovCloud or China. */
  partition?: pulumi.Input<string>;
  /** ARN of THIS master's etcd volume. */
  etcdVolumeArn: pulumi.Input<string>;
  /** THIS master's subnet and etcd-member tag value: where it may assign its stable address. */
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
