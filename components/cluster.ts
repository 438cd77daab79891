import * as pulumi from "@pulumi/pulumi";
import type {
  ApiConfig,
  BackupConfig,
  CniConfig,
  EtcdConfig,
  ExistingVpcConfig,
  LeaderElectionConfig,
  MastersConfig,
  ReadinessGateConfig,
  WorkerPoolConfig,
} from "../config/types";
import { ApiLoadBalancer } from "./apiLoadBalancer";
import { BootstrapToken } from "./bootstrapToken";
import { ClusterSecrets } from "./clusterSecrets";
import { ControlPlane } from "./controlPlane";
import { Network } from "./network";
import { ClusterPki } from "./pki";
import { SecurityGroups } from "./securityGroups";
import { baseTags } from "./tags";

/**
 * Everything needed to build one highly available cluster. Shapes match `config/types.ts`
 * (the stack config) so `index.ts` can pass validated config straight through; another
 * project can build the same object in code.
 */
export interface ClusterArgs {
  /** DNS-label cluster name, used in resource names, tags and SSM paths. */
  clusterName: string;
  /** AWS region (plain: it is part of endpoints written into user-data). */
  region: string;
  /** Zones to use, one master per zone for the first `masters.count` zones. */
  availabilityZones: pulumi.Input<string>[];
  kubernetesVersion: string;
  network: {
    vpcCidr: string;
    natGateways: "single" | "perAz";
    existingVpc?: ExistingVpcConfig;
    podCidr: string;
    serviceCidr: string;
  };
  api: ApiConfig;
  masters: MastersConfig;
  etcd: EtcdConfig;
  workerPools: WorkerPoolConfig[];
  leaderElection: LeaderElectionConfig;
  backup: BackupConfig;
  cni: CniConfig;
  readinessGate: ReadinessGateConfig;
  /** Extra tags on every taggable resource. */
  tags?: Record<string, string>;
}

/**
 * A self-managed HA Kubernetes cluster: network, PKI, API load balancer, one master per
 * zone with its own etcd volume, worker pools, etcd backups and a readiness gate.
 */
export class Cluster extends pulumi.ComponentResource {
  public readonly network: Network;
  public readonly pki: ClusterPki;
  public readonly bootstrapToken: BootstrapToken;
  /** KMS key and SSM parameters nodes read at boot (workers: `secrets.names.join`). */
  public readonly secrets: ClusterSecrets;
  public readonly apiLoadBalancer: ApiLoadBalancer;
  /** Node security groups (workers: `securityGroups.workerSecurityGroupId`). */
  public readonly securityGroups: SecurityGroups;
  public readonly controlPlane: ControlPlane;
  /** Values exported as stack outputs (see README "Outputs"). */
  public readonly outputs: Record<string, pulumi.Input<unknown>>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:cluster:Cluster", name, {}, opts);
    const tags = baseTags(args.clusterName, args.tags);

    // --- network (issue 2) -------------------------------------------------------------
    this.network = new Network(
      `${name}-net`,
      {
        clusterName: args.clusterName,
        availabilityZones: args.availabilityZones,
        vpcCidr: args.network.vpcCidr,
        natGateways: args.network.natGateways,
        existingVpc: args.network.existingVpc,
        tags,
      },
      { parent: this },
    );

    // --- etcd backup bucket (issue 5; before the masters, whose IAM and boot need it) ------

    // --- control plane: PKI, secrets, LB, security groups, IAM, masters (issue 3) --------
    this.pki = new ClusterPki(`${name}-pki`, { clusterName: args.clusterName }, { parent: this });
    this.bootstrapToken = new BootstrapToken(`${name}-token`, {}, { parent: this });
    this.secrets = new ClusterSecrets(
      `${name}-secrets`,
      {
        clusterName: args.clusterName,
        pki: this.pki,
        bootstrapToken: this.bootstrapToken.token,
        discoveryHash: this.pki.discoveryHash,
        tags,
      },
      { parent: this },
    );
    const publicApi = args.api.exposure === "public";
    this.apiLoadBalancer = new ApiLoadBalancer(
      `${name}-api`,
      {
        clusterName: args.clusterName,
        vpcId: this.network.vpcId,
        vpcCidr: this.network.vpcCidr,
        exposure: args.api.exposure,
        subnetIds: publicApi ? this.network.publicSubnetIds : this.network.privateSubnetIds,
        allowedCidrs: args.api.allowedCidrs,
        tags,
      },
      { parent: this },
    );
    this.securityGroups = new SecurityGroups(
      `${name}-sg`,
      {
        clusterName: args.clusterName,
        vpcId: this.network.vpcId,
        vpcCidr: this.network.vpcCidr,
        apiLoadBalancerSecurityGroupId: this.apiLoadBalancer.securityGroupId,
        cniProvider: args.cni.provider,
        tags,
      },
      { parent: this },
    );
    this.controlPlane = new ControlPlane(
      `${name}-cp`,
      {
        clusterName: args.clusterName,
        count: args.masters.count,
        availabilityZones: this.network.availabilityZones,
        privateSubnetIds: this.network.privateSubnetIds,
        etcdVolume: args.etcd.volume,
        instanceType: args.masters.instanceType,
        rootVolumeGiB: args.masters.rootVolumeGiB,
        securityGroupIds: [this.securityGroups.masterSecurityGroupId],
        targetGroupArn: this.apiLoadBalancer.targetGroupArn,
        apiEndpoint: this.apiLoadBalancer.dnsName,
        ssmPrefix: this.secrets.prefix,
        kmsKeyArn: this.secrets.kmsKeyArn,
        boot: {
          region: args.region,
          kubernetesVersion: args.kubernetesVersion,
          podCidr: args.network.podCidr,
          serviceCidr: args.network.serviceCidr,
          etcd: {
            heartbeatIntervalMs: args.etcd.heartbeatIntervalMs,
            electionTimeoutMs: args.etcd.electionTimeoutMs,
            quotaBackendGiB: args.etcd.quotaBackendGiB,
          },
          leaderElection: args.leaderElection,
          cni: args.cni,
          extraCertSans: [],
        },
        // Issue 5 sets `backup` here from the bucket created above.
        // No master may boot before the SSM parameters it reads exist.
        bootPrerequisites: [this.secrets],
        tags,
      },
      { parent: this },
    );

    // --- workers, CNI, kubeconfig, readiness gate (issue 4) ----------------------------

    this.outputs = {
      clusterName: args.clusterName,
      vpcId: this.network.vpcId,
      availabilityZones: this.network.availabilityZones,
      privateSubnetIds: this.network.privateSubnetIds,
      publicSubnetIds: this.network.publicSubnetIds,
      apiEndpoint: this.apiLoadBalancer.endpoint,
      apiLoadBalancerDnsName: this.apiLoadBalancer.dnsName,
      masterAsgNames: pulumi.all(this.controlPlane.asgNames),
      etcdVolumeIds: pulumi.all(this.controlPlane.etcdVolumeIds),
    };
    this.registerOutputs(this.outputs);
  }
}
