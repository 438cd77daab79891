/**
 * The multi-language face of the cluster: what `pulumi package add` exposes to Python, Go,
 * .NET, Java and YAML. Pulumi's component provider only constructs `<package>:index:<Class>`
 * (package = package.json "name"), so this wrapper registers as `k8s-ha-aws:index:Cluster`
 * and builds the project's own `k8sha:cluster:Cluster` (components/cluster.ts) as its child.
 * TypeScript programs keep using components/cluster.ts directly.
 */
import * as pulumi from "@pulumi/pulumi";
import { Cluster as CoreCluster } from "../components/cluster";
import { adminKubeconfig } from "../components/kubeconfig";
import type { ClusterArgs } from "./args";
import { toClusterConfig } from "./toClusterConfig";

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
    const cfg = toClusterConfig(args);
    if (!cfg.availabilityZones) throw new Error("Cluster: availabilityZones is required");
    const core = new CoreCluster(
      name,
      {
        clusterName: cfg.clusterName,
        region: cfg.region,
        availabilityZones: cfg.availabilityZones,
        kubernetesVersion: cfg.kubernetesVersion,
        network: cfg.network,
        api: cfg.api,
        masters: cfg.masters,
        etcd: cfg.etcd,
        workerPools: cfg.workerPools,
        leaderElection: cfg.leaderElection,
        backup: cfg.backup,
        cni: cfg.cni,
        readinessGate: cfg.readinessGate,
        tags: cfg.tags,
      },
      { parent: this },
    );

    this.clusterName = pulumi.output(cfg.clusterName);
    this.apiEndpoint = core.apiLoadBalancer.endpoint;
    this.apiLoadBalancerDnsName = core.apiLoadBalancer.dnsName;
    this.kubeconfig = pulumi.secret(
      adminKubeconfig({
        clusterName: cfg.clusterName,
        server: core.apiLoadBalancer.endpoint,
        caCertPem: core.pki.caCertPem,
        clientCertPem: core.pki.adminCertPem,
        clientKeyPem: core.pki.adminKeyPem,
      }),
    );
    this.masterAsgNames = pulumi.all(core.controlPlane.asgNames);
    this.etcdVolumeIds = pulumi.all(core.controlPlane.etcdVolumeIds);
    this.workerAsgNames = pulumi.all(
      Object.fromEntries(cfg.workerPools.map((pool, i) => [pool.name, core.workerPools[i].asgName])),
    );
    this.vpcId = core.network.vpcId;
    this.privateSubnetIds = pulumi.all(core.network.privateSubnetIds);
    this.publicSubnetIds = pulumi.all(core.network.publicSubnetIds);
    this.backupLocation = core.backupBucket.location;

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
