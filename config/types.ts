/**
 * The validated, fully-defaulted shape of one stack's configuration.
 *
 * `config/load.ts` is the only producer of this type: it reads `Pulumi.<stack>.yaml`
 * (namespace `k8s-ha:`), applies the defaults from `components/defaults.ts` and rejects
 * any bad value before a single resource is registered. Components never read config;
 * `index.ts` turns a `ClusterConfig` into typed component args.
 */

/** Whether the Kubernetes API load balancer is internet-facing or VPC-internal. */
export type ApiExposure = "public" | "internal";

/** NAT layout: one shared NAT gateway (cheap) or one per availability zone (zone-independent egress). */
export type NatGatewayMode = "single" | "perAz";

/** EBS volume types accepted for etcd data. gp2 is refused: burst credits break etcd's fsync latency. */
export type EtcdVolumeType = "gp3" | "io1" | "io2";

/** Pod network add-ons the init master can install. Weave is unmaintained and not offered. */
export type CniProvider = "calico" | "cilium" | "flannel";

/** Kubernetes taint effects. */
export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";

export interface Taint {
  /** Taint key, e.g. `example.com/dedicated`. */
  key: string;
  /** Taint value (may be empty). */
  value: string;
  /** What the taint does to pods that do not tolerate it. */
  effect: TaintEffect;
}

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

export interface EtcdConfig {
  /** The per-master EBS volume etcd keeps its data on. */
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

export interface WorkerPoolConfig {
  /** DNS-label name of the pool, unique in the stack. */
  name: string;
  /** One or more instance types; several give spot capacity more pools to draw from. */
  instanceTypes: string[];
  /** ASG minimum size; also the Ready-worker count the readiness gate waits for. */
  minSize: number;
  /** ASG maximum size (cluster-autoscaler never goes above it). */
  maxSize: number;
  /** Initial ASG size, between `minSize` and `maxSize`. */
  desiredCapacity: number;
  /** Percentage (0-100) of capacity above `onDemandBaseCapacity` bought as spot. */
  spotPercentage: number;
  /** Instances always bought on demand before the spot share applies. */
  onDemandBaseCapacity: number;
  /** Encrypted root volume size in GiB. */
  rootVolumeGiB: number;
  /** Kubernetes node labels of the pool's nodes. */
  labels: Record<string, string>;
  /** Kubernetes node taints of the pool's nodes. */
  taints: Taint[];
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

export interface ClusterConfig {
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
  /** VPC, subnets, NAT and the pod and service CIDRs. */
  network: NetworkConfig;
  /** API load balancer exposure and allowed CIDRs. */
  api: ApiConfig;
  /** Control-plane size and instances. */
  masters: MastersConfig;
  /** etcd volumes and timings. */
  etcd: EtcdConfig;
  /** Worker pools, one ASG each. */
  workerPools: WorkerPoolConfig[];
  /** Leader-election timings of kube-scheduler and kube-controller-manager. */
  leaderElection: LeaderElectionConfig;
  /** etcd snapshot schedule and retention. */
  backup: BackupConfig;
  /** Pod network add-on and its pinned version. */
  cni: CniConfig;
  /** Whether and how long `pulumi up` waits for a Ready cluster. */
  readinessGate: ReadinessGateConfig;
  /** Extra AWS tags on every taggable resource. */
  tags: Record<string, string>;
}
