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
import { Network } from "./network";
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

    // --- workers, CNI, kubeconfig, readiness gate (issue 4) ----------------------------

    this.outputs = {
      clusterName: args.clusterName,
      vpcId: this.network.vpcId,
      availabilityZones: this.network.availabilityZones,
      privateSubnetIds: this.network.privateSubnetIds,
      publicSubnetIds: this.network.publicSubnetIds,
    };
    this.registerOutputs(this.outputs);
  }
}
