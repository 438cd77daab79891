/**
 * The multi-language face of the cluster: what `pulumi package add` exposes to Python, Go,
 * .NET, Java and YAML. Pulumi's component provider only constructs `<package>:index:<Class>`
 * (package = package.json "name"), so this wrapper registers as `k8s-ha-aws:index:Cluster`
 * and builds the project's own `k8sha:cluster:Cluster` (components/cluster.ts) as its child.
 * TypeScript programs keep using components/cluster.ts directly.
 */
import * as pulumi from "@pulumi/pulumi";
import { Cluster as CoreCluster } from "../components/cluster";
import type { ClusterArgs } from "./args";
import { resolveProviderArgs } from "./resolveArgs";

/** package.json "name": the component provider derives the schema package name from it. */
export const PROVIDER_PACKAGE = "k8s-ha-aws";

/**
 * A self-managed, highly available kubeadm Kubernetes cluster on AWS EC2: one master per
 * zone in its own autoscaling group with an encrypted etcd volume, an NLB on 6443, worker
 * autoscaling groups, etcd backups to S3.
 */
export class Cluster extends pulumi.ComponentResource {
  /** The cluster name. */
  public readonly clusterName: pulumi.Output<string>;
  /** https://<NLB DNS name>:6443 */
  public readonly apiEndpoint: pulumi.Output<string>;
  /** DNS name of the API load balancer. */
  public readonly apiLoadBalancerDnsName: pulumi.Output<string>;
  /** Admin kubeconfig (client certificate); a secret. */
  public readonly kubeconfig: pulumi.Output<string>;
  /** One autoscaling group per master, in zone order. */
  public readonly masterAsgNames: pulumi.Output<string[]>;
  /** The etcd EBS volume of each master, same order. */
  public readonly etcdVolumeIds: pulumi.Output<string[]>;
  /** Worker autoscaling group name by pool name. */
  public readonly workerAsgNames: pulumi.Output<Record<string, string>>;
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  /** s3://bucket/prefix of the etcd snapshots. */
  public readonly backupLocation: pulumi.Output<string>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${PROVIDER_PACKAGE}:index:Cluster`, name, {}, opts);
    const out = new CoreCluster(name, resolveProviderArgs(args), { parent: this }).outputs;

    this.clusterName = pulumi.output(out.clusterName);
    this.apiEndpoint = out.apiEndpoint;
    this.apiLoadBalancerDnsName = out.apiLoadBalancerDnsName;
    this.kubeconfig = out.kubeconfig;
    this.masterAsgNames = out.masterAsgNames;
    this.etcdVolumeIds = out.etcdVolumeIds;
    this.workerAsgNames = pulumi.all(out.workerAsgNames);
    this.vpcId = out.vpcId;
    this.privateSubnetIds = pulumi.all(out.privateSubnetIds);
    this.publicSubnetIds = pulumi.all(out.publicSubnetIds);
    this.backupLocation = out.backupLocation;

    this.registerOutputs({
      clusterName: this.clusterName,
      apiEndpoint: this.apiEndpoint,
      apiLoadBalancerDnsName: this.apiLoadBalancerDnsName,
      kubeconfig: this.kubeconfig,
      masterAsgNames: this.masterAsgNames,
      etcdVolumeIds: this.etcdVolumeIds,
      workerAsgNames: this.workerAsgNames,
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      publicSubnetIds: this.publicSubnetIds,
      backupLocation: this.backupLocation,
    });
  }
}
