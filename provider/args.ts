/**
 * Args of the multi-language `Cluster` (provider/cluster.ts), written for Pulumi's component
 * schema analyzer: only primitives, arrays, string maps and named interfaces. Enumerations
 * (natGateways, exposure, volume type, CNI provider, taint effect) are plain strings here and
 * are checked at construction by the stack's own validator (`parseConfig`), so Python, Go
 * and .NET callers get the same error messages as `pulumi config`. Every field is plain
 * (no `pulumi.Input`): these values are baked into names, user-data and tags at construction.
 * Omitted fields take the defaults in config/defaults.ts, exactly as for the stack. The keys are
 * the cluster spec's (config/types.ts); test/provider/provider-schema.test.ts compares the analyzed
 * schema with config/schema.ts key by key, so the two cannot drift.
 */

/** A VPC that already exists, with one public and one private subnet per zone used. */
export interface ExistingVpcSettings {
  /** Id of the existing VPC. */
  vpcId: string;
  /** CIDR of the existing VPC. */
  vpcCidr: string;
  /** One per availability zone, in zone order. */
  publicSubnetIds: string[];
  /** One per availability zone, in zone order. */
  privateSubnetIds: string[];
  /** The IPv4 CIDR of each private subnet, same order (each master's stable address is reserved there). */
  privateSubnetCidrs: string[];
}

/** VPC layout. */
export interface NetworkSettings {
  /** VPC CIDR, e.g. 10.10.0.0/16. */
  vpcCidr?: string;
  /** NAT gateways: "single" (one, cheapest) or "perAz" (one per zone). */
  natGateways?: string;
  /** Bring your own VPC instead of creating one. */
  existingVpc?: ExistingVpcSettings;
  /** Pod network CIDR given to kubeadm and the CNI. */
  podCidr?: string;
  /** Service CIDR given to kubeadm. */
  serviceCidr?: string;
}

/** Kubernetes API load balancer. */
export interface ApiSettings {
  /** "public" (internet-facing NLB) or "internal". */
  exposure?: string;
  /** CIDRs allowed to reach port 6443 on the NLB. */
  allowedCidrs?: string[];
  /** AWS refuses to delete the NLB while on. */
  deletionProtection?: boolean;
}

/** Control plane: one master per zone, each in its own autoscaling group. */
export interface MasterSettings {
  /** Number of masters (odd, at most one per zone). */
  count?: number;
  /** Must be true to accept a single master (no HA). */
  allowNonHa?: boolean;
  /** EC2 instance type of the masters. */
  instanceType?: string;
  /** Root volume size in GiB. */
  rootVolumeGiB?: number;
}

/** The per-master etcd EBS volume. */
export interface EtcdVolumeSettings {
  /** "gp3", "io1" or "io2". */
  type?: string;
  sizeGiB?: number;
  iops?: number;
  throughputMiBps?: number;
}

/** etcd topology, members and tuning. */
export interface EtcdSettings {
  /** "stacked" (default: a member on every master) or "external" (dedicated etcd nodes); never changed on a live cluster. */
  topology?: string;
  /** Stacked: masters.count only; external: 3, 5 or 7, at most one per zone. */
  members?: number;
  /** External only: the etcd release, at least 3.5.24; default per Kubernetes minor. */
  version?: string;
  /** External only: sha256 (64 lower-case hex) of etcd-v<version>-linux-amd64.tar.gz; required while no digest is pinned. */
  releaseSha256?: string;
  /** External only: the etcd nodes' instance type (default m6i.large). */
  instanceType?: string;
  /** External only: the etcd nodes' encrypted root volume in GiB (default 20). */
  rootVolumeGiB?: number;
  volume?: EtcdVolumeSettings;
  heartbeatIntervalMs?: number;
  electionTimeoutMs?: number;
  quotaBackendGiB?: number;
}

/** One Kubernetes taint on a worker pool. */
export interface TaintSettings {
  key: string;
  value: string;
  /** "NoSchedule", "PreferNoSchedule" or "NoExecute". */
  effect: string;
}

/** One worker autoscaling group. */
export interface WorkerPoolSettings {
  /** DNS-label pool name. */
  name: string;
  /** Instance types, first is preferred; several give spot more capacity pools. */
  instanceTypes?: string[];
  minSize?: number;
  maxSize?: number;
  desiredCapacity?: number;
  /** Percentage of capacity above the on-demand base that runs on spot. */
  spotPercentage?: number;
  /** Instances that are always on demand. */
  onDemandBaseCapacity?: number;
  rootVolumeGiB?: number;
  /** Node labels. */
  labels?: Record<string, string>;
  taints?: TaintSettings[];
  /** One ASG per zone, each with these sizes, instead of one over every zone (default false). */
  zonal?: boolean;
}

/** Leader election of kube-scheduler and kube-controller-manager. */
export interface LeaderElectionSettings {
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
}

/** etcd snapshot schedule and retention. */
export interface BackupSettings {
  /** Minutes between snapshots. */
  intervalMinutes?: number;
  keepAllDays?: number;
  keepHourlyDays?: number;
  keepDailyDays?: number;
}

/** Container network plugin. */
export interface CniSettings {
  /** "calico", "cilium" or "flannel". */
  provider?: string;
  version?: string;
}

/** Whether construction waits until the API answers and nodes are Ready (needs a reachable API). */
export interface ReadinessGateSettings {
  enabled?: boolean;
  timeoutMinutes?: number;
}

/** Health-gated rolling of masters, one at a time, when their launch templates change. */
export interface RollingSettings {
  enabled?: boolean;
  /** Minutes one master's roll may take. */
  timeoutMinutes?: number;
  /** Newest etcd snapshot a roll accepts, in minutes (default: twice backup.intervalMinutes). */
  backupMaxAgeMinutes?: number;
}

/**
 * Alarms that still reach people when the cluster is down (docs/monitoring.md): a KMS-encrypted
 * SNS topic, CloudWatch alarms, an EventBridge rule for failed ASG launches and a dashboard.
 */
export interface MonitoringSettings {
  /** Build the topic, its key, the alarms, the launch-failure rule and the dashboard (default true). */
  enabled?: boolean;
  /**
   * Email addresses subscribed to the alarm topic (default none). Each address receives an AWS
   * confirmation mail and gets nothing until that link is followed. Requires enabled: true.
   */
  emailSubscriptions?: string[];
  /**
   * https:// endpoints subscribed to the alarm topic (default none). Each must answer SNS's
   * SubscriptionConfirmation request before it receives alarms. Requires enabled: true.
   */
  httpsSubscriptions?: string[];
}

/** One AWS add-on, installed and kept by the masters (off: its objects are deleted). */
export interface AddonSettings {
  /** Default true. */
  enabled?: boolean;
  /** Release X.Y.Z without "v" (default: the one for kubernetesVersion's minor). */
  version?: string;
}

/** The EBS CSI driver; needs the cloud controller. */
export interface EbsCsiDriverSettings {
  /** Default true; requires cloudControllerManager.enabled. */
  enabled?: boolean;
  /** Release X.Y.Z without "v" (default: the newest release whose sidecars the project pins). */
  version?: string;
  /** Also install an encrypted gp3 StorageClass marked as the cluster's default (default true). */
  defaultStorageClass?: boolean;
}

/** The AWS add-ons, one section each. */
export interface AddonsSettings {
  /** AWS cloud-controller-manager (version 1.<minor>.x of kubernetesVersion). */
  cloudControllerManager?: AddonSettings;
  /** EBS CSI driver. */
  ebsCsiDriver?: EbsCsiDriverSettings;
  /** cluster-autoscaler (version 1.<minor>.x of kubernetesVersion). */
  clusterAutoscaler?: AddonSettings;
  /** AWS node termination handler (IMDS mode). */
  nodeTerminationHandler?: AddonSettings;
}

/** Inputs of the multi-language Cluster; same keys and rules as the stack config (docs/configuration.md). */
export interface ClusterArgs {
  /** DNS-label cluster name, used in resource names, tags and SSM paths. */
  clusterName: string;
  /** AWS region the provider of the calling program deploys to, e.g. eu-west-1. */
  region: string;
  /** Zones of that region; the first `masters.count` get one master each. Or give availabilityZoneCount. */
  availabilityZones?: string[];
  /** Number of zones, looked up at deploy time (instead of availabilityZones). */
  availabilityZoneCount?: number;
  /** Kubernetes version (default: DEFAULT_KUBERNETES_VERSION). */
  kubernetesVersion?: string;
  /** AMI id of every node (default: the newest Ubuntu 24.04 at the first deploy, then kept). */
  imageId?: string;
  /** Instance types newer than the AWS provider's list, accepted as typed (default: none). */
  extraInstanceTypes?: string[];
  network?: NetworkSettings;
  api?: ApiSettings;
  masters?: MasterSettings;
  etcd?: EtcdSettings;
  workerPools?: WorkerPoolSettings[];
  leaderElection?: LeaderElectionSettings;
  backup?: BackupSettings;
  cni?: CniSettings;
  readinessGate?: ReadinessGateSettings;
  rolling?: RollingSettings;
  /** Alarms, alarm topic and dashboard (default: on, no subscriptions). */
  monitoring?: MonitoringSettings;
  /** The AWS add-ons (default: all on, at the versions for kubernetesVersion). */
  addons?: AddonsSettings;
  /** Extra tags on every taggable resource. */
  tags?: Record<string, string>;
}
