/**
 * The cluster spec: one type for what a stack file, a TypeScript caller of the Cluster component
 * and the multi-language wrapper describe. `ClusterSpec` is the resolved form (every default
 * filled in, every value validated) and `ClusterInput` the caller's form derived from it (only
 * the name and region required). config/resolve.ts is the only producer of a ClusterSpec;
 * config/schema.ts derives every key list from these types. The worker pools' and the AWS
 * add-ons' types live in config/worker-types.ts and config/addon-types.ts and are re-exported
 * here, so every caller imports the spec from this one path.
 */

import type { AddonsConfig } from "./addon-types";
import type { WorkerPoolConfig } from "./worker-types";

export type { AddonConfig, AddonsConfig, EbsCsiDriverConfig } from "./addon-types";
export type { Taint, TaintEffect, WorkerPoolConfig } from "./worker-types";

/** Whether the Kubernetes API load balancer is internet-facing or VPC-internal. */
export type ApiExposure = "public" | "internal";

/** NAT layout: one shared NAT gateway (cheap) or one per availability zone (zone-independent egress). */
export type NatGatewayMode = "single" | "perAz";

/** EBS volume types accepted for etcd data. gp2 is refused: burst credits break etcd's fsync latency. */
export type EtcdVolumeType = "gp3" | "io1" | "io2";

/** Pod network add-ons the init master can install. Weave is unmaintained and not offered. */
export type CniProvider = "calico" | "cilium" | "flannel";

/** A VPC that already exists, with one public and one private subnet per availability zone used. */
export interface ExistingVpcConfig {
  /** Id of the existing VPC. */
  vpcId: string;
  /** CIDR of the existing VPC (needed to validate overlaps and to write security-group rules). */
  vpcCidr: string;
  /** One per availability zone, in the order of `availabilityZones`. */
  publicSubnetIds: string[];
  /** One per availability zone, in the order of `availabilityZones`. */
  privateSubnetIds: string[];
  /**
   * The IPv4 CIDR of each private subnet, same order: each master's stable address is reserved
   * in its subnet's second /28 (docs/control-plane.md "Stable addresses").
   */
  privateSubnetCidrs: string[];
}

export interface NetworkConfig {
  /** CIDR of the VPC this program creates (ignored with `existingVpc`). */
  vpcCidr: string;
  /** One NAT gateway in total, or one per availability zone. */
  natGateways: NatGatewayMode;
  /** Bring your own VPC instead of creating one. */
  existingVpc?: ExistingVpcConfig;
  /** Pod network CIDR (kubeadm `networking.podSubnet`). */
  podCidr: string;
  /** Service CIDR (kubeadm `networking.serviceSubnet`). */
  serviceCidr: string;
}

export interface ApiConfig {
  /** Internet-facing (`public`) or VPC-internal load balancer. */
  exposure: ApiExposure;
  /** CIDRs allowed to reach the API load balancer on 6443, in addition to the VPC itself. */
  allowedCidrs: string[];
  /** AWS refuses to delete the load balancer while this is on (turn it off before a `pulumi destroy`). */
  deletionProtection: boolean;
}

export interface EtcdVolumeConfig {
  /** EBS volume type. */
  type: EtcdVolumeType;
  /** Volume size in GiB. */
  sizeGiB: number;
  /** Provisioned IOPS (gp3, io1, io2). */
  iops: number;
  /** Provisioned throughput in MiB/s (gp3 only). */
  throughputMiBps: number;
}

/**
 * Where etcd runs: `stacked` (a member on every master, kubeadm's local etcd) or `external`
 * (dedicated etcd nodes, one per zone; designed in docs/plans/external-etcd.md, not built yet).
 */
export type EtcdTopology = "stacked" | "external";

export interface EtcdConfig {
  /** Where etcd runs; `stacked` unless set. */
  topology: EtcdTopology;
  /** Number of etcd members: `masters.count` when stacked; odd (3, 5, 7), one per zone, when external. */
  members: number;
  /** etcd release of an external cluster (stacked runs the etcd image kubeadm picks); undefined when stacked. */
  version?: string;
  /**
   * sha256 (64 lower-case hex) of `etcd-v<version>-linux-amd64.tar.gz`, which an etcd node installs
   * only if it matches; external only, default the digest pinned in config/etcd-versions.ts.
   */
  releaseSha256?: string;
  /** EC2 instance type of the etcd nodes (external only; undefined when stacked). */
  instanceType?: string;
  /** Encrypted root volume size of the etcd nodes in GiB (external only; undefined when stacked). */
  rootVolumeGiB?: number;
  /** The per-member EBS volume etcd keeps its data on. */
  volume: EtcdVolumeConfig;
  /** etcd `--heartbeat-interval` in milliseconds. */
  heartbeatIntervalMs: number;
  /** etcd `--election-timeout` in milliseconds (etcd requires >= 5x heartbeat). */
  electionTimeoutMs: number;
  /** etcd `--quota-backend-bytes` in GiB. */
  quotaBackendGiB: number;
}

export interface MastersConfig {
  /** Number of control-plane nodes: odd (3, 5, 7), one per availability zone. */
  count: number;
  /** Must be true to allow `count: 1` (no HA: losing the master loses the control plane). */
  allowNonHa: boolean;
  /** EC2 instance type of every master. */
  instanceType: string;
  /** Encrypted root volume size in GiB. */
  rootVolumeGiB: number;
}

export interface LeaderElectionConfig {
  /** `--leader-elect-lease-duration` of kube-scheduler and kube-controller-manager. */
  leaseDurationSeconds: number;
  /** `--leader-elect-renew-deadline`; below the lease duration. */
  renewDeadlineSeconds: number;
  /** `--leader-elect-retry-period`; below the renew deadline. */
  retryPeriodSeconds: number;
}

export interface BackupConfig {
  /** Minutes between etcd snapshots (systemd timer on every master; only the leader uploads). */
  intervalMinutes: number;
  /** Days every snapshot is kept (S3 lifecycle granularity is one day). */
  keepAllDays: number;
  /** Days the first snapshot of each hour is kept. */
  keepHourlyDays: number;
  /** Days the first snapshot of each day is kept. */
  keepDailyDays: number;
}

export interface CniConfig {
  /** Pod network add-on the init master installs. */
  provider: CniProvider;
  /** Pinned add-on version, e.g. "3.30.3" for Calico. */
  version: string;
}

export interface ReadinessGateConfig {
  /** Wait in `pulumi up` until the API and nodes are Ready. Turn off when the LB is unreachable from here. */
  enabled: boolean;
  /** How long the gate waits before `pulumi up` fails, naming what is not Ready. */
  timeoutMinutes: number;
}

export interface MonitoringConfig {
  /** Build the alarm topic, its KMS key, the alarms, the launch-failure rule and the dashboard. */
  enabled: boolean;
  /** Email addresses subscribed to the alarm topic (each must confirm the subscription AWS mails). */
  emailSubscriptions: string[];
  /** HTTPS endpoints subscribed to the alarm topic (they must confirm SNS's SubscriptionConfirmation). */
  httpsSubscriptions: string[];
}

export interface RollingConfig {
  /**
   * Replace or upgrade each master in `pulumi up` when its launch template changes, one at a time
   * and health-gated (a `RollGate` per master). Off: a master changes only when replaced by hand.
   */
  enabled: boolean;
  /** Minutes one master's roll may take (preflight, drain, upgrade or replacement, health) before `pulumi up` fails. */
  timeoutMinutes: number;
  /** A master is touched only when the newest etcd snapshot is at most this old; default twice `backup.intervalMinutes`. */
  backupMaxAgeMinutes: number;
}

export interface ClusterSpec {
  /** DNS-label cluster name, used in resource names, tags and SSM paths. */
  clusterName: string;
  /** From `aws:region`. */
  region: string;
  /**
   * Either the explicit zones from `availabilityZones`, or `undefined` when only
   * `availabilityZoneCount` was given (the zones are then looked up at deploy time).
   */
  availabilityZones?: string[];
  /** Number of zones used: the length of `availabilityZones` or `availabilityZoneCount`. */
  availabilityZoneCount: number;
  /** `1.MINOR.PATCH`. */
  kubernetesVersion: string;
  /**
   * The AMI every node boots (Ubuntu 24.04 LTS amd64). Unset: the newest Canonical image at the
   * first `pulumi up`, then kept, so a new Canonical release never rolls the nodes by itself.
   */
  imageId?: string;
  /**
   * Instance types the AWS provider package does not list yet (newer than its release); every
   * other type must be one it lists, so a typo fails before any resource.
   */
  extraInstanceTypes: string[];
  /** VPC, subnets, NAT and the pod and service CIDRs. */
  network: NetworkConfig;
  /** API load balancer exposure and allowed CIDRs. */
  api: ApiConfig;
  /** Control-plane size and instances. */
  masters: MastersConfig;
  /** etcd volumes and timings. */
  etcd: EtcdConfig;
  /** Worker pools, one ASG each (one per zone for a `zonal` pool). */
  workerPools: WorkerPoolConfig[];
  /** Leader-election timings of kube-scheduler and kube-controller-manager. */
  leaderElection: LeaderElectionConfig;
  /** etcd snapshot schedule and retention. */
  backup: BackupConfig;
  /** Pod network add-on and its pinned version. */
  cni: CniConfig;
  /** Whether and how long `pulumi up` waits for a Ready cluster. */
  readinessGate: ReadinessGateConfig;
  /** Health-gated rolling of masters when their launch templates change. */
  rolling: RollingConfig;
  /** CloudWatch alarms, their SNS topic and subscriptions, and the cluster dashboard. */
  monitoring: MonitoringConfig;
  /** The AWS add-ons (cloud controller, EBS CSI, cluster-autoscaler, termination handler). */
  addons: AddonsConfig;
  /** Extra AWS tags on every taggable resource. */
  tags: Record<string, string>;
}

/** Each field of a section may be left out; the resolver fills it from config/defaults.ts. */
type SectionInput<T> = { [K in keyof T]?: T[K] };

/**
 * What a caller passes (a decoded stack file, Cluster component args, the wrapper's args):
 * ClusterSpec with everything but the name and region optional, one level deep per section.
 * A given existing VPC is complete, and every worker pool has a name.
 */
export interface ClusterInput {
  /** DNS-label cluster name (1-24 chars): resource names, tags, SSM paths. */
  clusterName: string;
  /** AWS region, e.g. `eu-west-1` (a stack's `aws:region`). */
  region: string;
  /** Zones to use, one master per zone for the first `masters.count`; or give `availabilityZoneCount`. */
  availabilityZones?: string[];
  /** Number of zones, looked up at deploy time (default 3); with a zone list, its length. */
  availabilityZoneCount?: number;
  /** `1.MINOR.PATCH`; default `DEFAULT_KUBERNETES_VERSION`. */
  kubernetesVersion?: string;
  /** AMI id of every node, `ami-...`; default: the newest Ubuntu 24.04 at the first deploy, then kept. */
  imageId?: string;
  /** Instance types newer than the AWS provider's list, accepted as typed; default none. */
  extraInstanceTypes?: string[];
  /** VPC, NAT and CIDRs; default NETWORK_DEFAULTS (a new VPC). */
  network?: SectionInput<Omit<NetworkConfig, "existingVpc">> & { existingVpc?: ExistingVpcConfig };
  /** API exposure and allowed CIDRs; default API_DEFAULTS. */
  api?: SectionInput<ApiConfig>;
  /** Master count and size; default MASTER_DEFAULTS (3 masters). */
  masters?: SectionInput<MastersConfig>;
  /** etcd volume and timings; default ETCD_DEFAULTS. */
  etcd?: SectionInput<Omit<EtcdConfig, "volume">> & { volume?: SectionInput<EtcdVolumeConfig> };
  /** Worker pools (name required, the rest WORKER_POOL_DEFAULTS); default one pool "general". */
  workerPools?: (SectionInput<WorkerPoolConfig> & { name: string })[];
  /** kube-scheduler/controller-manager leader election; default LEADER_ELECTION_DEFAULTS. */
  leaderElection?: SectionInput<LeaderElectionConfig>;
  /** etcd snapshot schedule and retention; default BACKUP_DEFAULTS. */
  backup?: SectionInput<BackupConfig>;
  /** Pod network add-on; default Calico at CNI_VERSIONS.calico. */
  cni?: SectionInput<CniConfig>;
  /** Wait in `pulumi up` for Ready nodes; default READINESS_GATE_DEFAULTS. */
  readinessGate?: SectionInput<ReadinessGateConfig>;
  /** Master rolls in `pulumi up`; default ROLLING_DEFAULTS, backupMaxAgeMinutes twice backup.intervalMinutes. */
  rolling?: SectionInput<RollingConfig>;
  /** Alarms, topic and dashboard; default MONITORING_DEFAULTS (on, no subscriptions). */
  monitoring?: SectionInput<MonitoringConfig>;
  /** The AWS add-ons, each section optional; default ADDON_DEFAULTS, versions for the Kubernetes minor. */
  addons?: { [K in keyof AddonsConfig]?: SectionInput<AddonsConfig[K]> };
  /** Extra tags on every taggable resource. */
  tags?: Record<string, string>;
}
