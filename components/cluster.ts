import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { baseTags, TAG_ROLE } from "../base/tags";
import { resolveClusterArgs } from "../config/clusterArgs";
import type { ClusterConfig } from "../config/types";
import { nodeImageId } from "./ami";
import { ApiLoadBalancer } from "./apiLoadBalancer";
import { BackupBucket } from "./backupBucket";
import { createBootBundles } from "./bootBundle";
import { BootstrapToken } from "./bootstrapToken";
import { type ClusterOutputs, clusterOutputs } from "./clusterOutputs";
import { ClusterSecrets } from "./clusterSecrets";
import { ControlPlane } from "./controlPlane";
import { NodeRole } from "./iam/nodeRole";
import { workerPolicy } from "./iam/policyOutputs";
import { Network } from "./network";
import { ClusterPki } from "./pki";
import { ReadinessGate } from "./readinessGate";
import { SecurityGroups } from "./securityGroups";
import { WorkerPool } from "./workerPool";

/**
 * A cluster's settings once every default is filled in and every value validated: the stack
 * config (`config/types.ts`, where every field is documented) with the zones resolved.
 */
export interface ResolvedClusterArgs
  extends Omit<ClusterConfig, "availabilityZones" | "availabilityZoneCount" | "tags"> {
  /** Zones to use, one master per zone for the first `masters.count` zones. */
  availabilityZones: pulumi.Input<string>[];
  /** Extra tags on every taggable resource. */
  tags?: Record<string, string>;
}

/** An object whose fields may each be left out (one level deep). */
type Optional<T> = { [K in keyof T]?: T[K] };

/**
 * What a caller passes to `Cluster`: a name, a region and zones; everything else is optional
 * and defaults to `components/defaults.ts` (the same defaults and validation as stack config,
 * see docs/configuration.md). Example: `new Cluster("prod", { clusterName: "prod",
 * region: "eu-west-1", availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] })`.
 */
export interface ClusterArgs {
  /** DNS-label cluster name (1-24 chars): resource names, tags, SSM paths. */
  clusterName: string;
  /** AWS region, e.g. `eu-west-1`. */
  region: string;
  /** Zones to use, one master per zone for the first `masters.count` zones. */
  availabilityZones: pulumi.Input<string>[];
  /** `1.MINOR.PATCH`; default `DEFAULT_KUBERNETES_VERSION`. */
  kubernetesVersion?: string;
  /** VPC, NAT and CIDRs; default NETWORK_DEFAULTS (a new VPC). */
  network?: Optional<ClusterConfig["network"]>;
  /** API exposure; default API_DEFAULTS. */
  api?: Optional<ClusterConfig["api"]>;
  /** Master count and size; default MASTER_DEFAULTS (3 masters). */
  masters?: Optional<ClusterConfig["masters"]>;
  /** etcd volume and timings; default ETCD_DEFAULTS. */
  etcd?: Optional<Omit<ClusterConfig["etcd"], "volume">> & {
    volume?: Optional<ClusterConfig["etcd"]["volume"]>;
  };
  /** Worker pools (name required, the rest WORKER_POOL_DEFAULTS); default one pool "general". */
  workerPools?: (Optional<ClusterConfig["workerPools"][number]> & { name: string })[];
  /** kube-scheduler/controller-manager leader election; default LEADER_ELECTION_DEFAULTS. */
  leaderElection?: Optional<ClusterConfig["leaderElection"]>;
  /** etcd snapshot schedule and retention; default BACKUP_DEFAULTS. */
  backup?: Optional<ClusterConfig["backup"]>;
  /** Pod network add-on; default Calico at CNI_VERSIONS.calico. */
  cni?: Optional<ClusterConfig["cni"]>;
  /** Wait in `pulumi up` for Ready nodes; default READINESS_GATE_DEFAULTS. */
  readinessGate?: Optional<ClusterConfig["readinessGate"]>;
  /** Extra tags on every taggable resource. */
  tags?: Record<string, string>;
}

/**
 * A self-managed HA Kubernetes cluster: network, PKI, API load balancer, one master per
 * zone with its own etcd volume, worker pools, etcd backups and a readiness gate.
 */
export class Cluster extends pulumi.ComponentResource {
  public readonly network: Network;
  /** etcd snapshot bucket (issue 5). */
  public readonly backupBucket: BackupBucket;
  public readonly pki: ClusterPki;
  public readonly bootstrapToken: BootstrapToken;
  /** KMS key and SSM parameters nodes read at boot (workers: `secrets.names.join`). */
  public readonly secrets: ClusterSecrets;
  public readonly apiLoadBalancer: ApiLoadBalancer;
  /** Node security groups (workers: `securityGroups.workerSecurityGroupId`). */
  public readonly securityGroups: SecurityGroups;
  public readonly controlPlane: ControlPlane;
  /** One per `workerPools` entry, same order. */
  public readonly workerPools: WorkerPool[];
  /** Absent when `readinessGate.enabled` is false. */
  public readonly readinessGate?: ReadinessGate;
  /** Values exported as stack outputs (see README "Outputs"). */
  public readonly outputs: ClusterOutputs;

  constructor(name: string, input: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:cluster:Cluster", name, {}, opts);
    // Defaults and validation before any child registers: a bad value fails here, by key.
    const args = resolveClusterArgs(input);
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
    // SSE-S3, not the cluster KMS key: that key is scoped to SSM (kms:ViaService) in the master
    // policy, and ClusterSecrets is created below. See docs/backup-restore.md.
    this.backupBucket = new BackupBucket(
      `${name}-backup`,
      {
        clusterName: args.clusterName,
        keepAllDays: args.backup.keepAllDays,
        keepHourlyDays: args.backup.keepHourlyDays,
        keepDailyDays: args.backup.keepDailyDays,
        tags,
      },
      { parent: this },
    );
    const bundles = createBootBundles(name, args.clusterName, this.backupBucket, this); // docs/boot.md
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
        privateSubnetCidrs: this.network.privateSubnetCidrs,
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
        backup: {
          bucketArn: this.backupBucket.bucketArn,
          bucketName: this.backupBucket.bucketName,
          prefix: this.backupBucket.prefix,
          intervalMinutes: args.backup.intervalMinutes,
        },
        bootBundle: { ...bundles.master.ref, bucketArn: this.backupBucket.bucketArn },
        // No master may boot before the SSM parameters it reads and its boot bundle exist.
        bootPrerequisites: [this.secrets, bundles.master],
        tags,
      },
      { parent: this },
    );

    // --- workers, CNI, kubeconfig, readiness gate (issue 4) ----------------------------
    // The CNI itself is installed by the init master (cloud-init/lib/cni.sh, from boot.cni).
    const workerRole = new NodeRole(
      `${name}-workers-iam`,
      {
        description: `k8sha ${args.clusterName} workers`,
        policy: workerPolicy({
          clusterName: args.clusterName,
          region: args.region,
          accountId: aws.getCallerIdentityOutput({}, { parent: this }).accountId,
          partition: aws.getPartitionOutput({}, { parent: this }).partition,
          ssmPrefix: this.secrets.prefix,
          kmsKeyArn: this.secrets.kmsKeyArn,
          bootBundle: bundles.worker.readScope,
        }),
        tags: { ...tags, [TAG_ROLE]: "worker" },
      },
      { parent: this },
    );
    const workerImageId = nodeImageId({}, { parent: this });
    this.workerPools = args.workerPools.map(
      (pool) =>
        new WorkerPool(
          `${name}-${pool.name}`,
          {
            clusterName: args.clusterName,
            poolName: pool.name,
            instanceTypes: pool.instanceTypes,
            minSize: pool.minSize,
            maxSize: pool.maxSize,
            desiredCapacity: pool.desiredCapacity,
            spotPercentage: pool.spotPercentage,
            onDemandBaseCapacity: pool.onDemandBaseCapacity,
            rootVolumeGiB: pool.rootVolumeGiB,
            labels: pool.labels,
            taints: pool.taints,
            subnetIds: this.network.privateSubnetIds,
            imageId: workerImageId,
            instanceProfileName: workerRole.instanceProfileName,
            securityGroupIds: [this.securityGroups.workerSecurityGroupId],
            boot: {
              clusterName: args.clusterName,
              region: args.region,
              kubernetesVersion: args.kubernetesVersion,
              apiEndpoint: this.apiLoadBalancer.dnsName,
              ssmPrefix: this.secrets.prefix,
              podCidr: args.network.podCidr,
              serviceCidr: args.network.serviceCidr,
            },
            bootBundle: bundles.worker.ref,
            bootPrerequisites: [this.secrets, bundles.worker],
            tags,
          },
          { parent: this },
        ),
    );
    if (args.readinessGate.enabled) {
      this.readinessGate = new ReadinessGate(
        `${name}-ready`,
        {
          server: this.apiLoadBalancer.endpoint,
          caCertPem: this.pki.caCertPem,
          clientCertPem: this.pki.adminCertPem,
          clientKeyPem: this.pki.adminKeyPem,
          masterCount: args.masters.count,
          pools: args.workerPools.map((p) => ({ name: p.name, minReady: p.minSize })),
          timeoutMinutes: args.readinessGate.timeoutMinutes,
          // Components as dependencies: the gate waits for every resource inside them (NLB, ASGs).
          waitFor: [this.apiLoadBalancer, this.controlPlane, ...this.workerPools],
          rerunWhen: this.workerPools.map((p) => p.launchTemplateVersion),
        },
        { parent: this },
      );
    }

    this.outputs = clusterOutputs(
      args.clusterName,
      args.workerPools.map((p) => p.name),
      this,
    );
    this.registerOutputs(this.outputs);
  }
}
