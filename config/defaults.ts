/**
 * Every user-facing default, in one place: what a stack or a component caller gets for a key
 * it leaves out. The resolver (config/resolve.ts) is the only reader; docs/configuration.md
 * lists the same values (a test compares them).
 */

/** Kubernetes version used when `kubernetesVersion` is not set. */
export const DEFAULT_KUBERNETES_VERSION = "1.34.2";

/**
 * Kubernetes minors this project accepts. The floor is 1.31 because the kubeadm config
 * it writes is API v1beta4 (kubeadm >= 1.31); the ceiling is the newest minor whose
 * kubeadm flags and config this project was written against.
 */
export const SUPPORTED_KUBERNETES_MINORS = { min: 31, max: 35 } as const;

export const DEFAULT_AVAILABILITY_ZONE_COUNT = 3;

export const NETWORK_DEFAULTS = {
  vpcCidr: "10.0.0.0/16",
  natGateways: "perAz",
  /** The seeds' default pod CIDR (flannel/kubeadm examples). */
  podCidr: "10.244.0.0/16",
  /** kubeadm's default service CIDR. */
  serviceCidr: "10.96.0.0/12",
} as const;

export const API_DEFAULTS = {
  exposure: "public",
  /** Public APIs are still protected by client certificates; narrow this in real stacks. */
  allowedCidrs: ["0.0.0.0/0"],
  /** Off by default so `pulumi destroy` of a test stack works; prod stacks turn it on. */
  deletionProtection: false,
} as const;

export const MASTER_DEFAULTS = {
  count: 3,
  allowNonHa: false,
  instanceType: "m6i.large",
  rootVolumeGiB: 50,
} as const;

/** kops' etcd volume: gp3, 20 GiB, 3000 IOPS, 125 MiB/s (the gp3 baseline, no extra cost). */
export const ETCD_DEFAULTS = {
  topology: "stacked",
  /** External etcd: three members, so losing one (or its zone) keeps a 2-of-3 quorum. */
  externalMembers: 3,
  /**
   * External etcd nodes: 2 vCPU and 8 GiB, etcd's hardware guide for a small cluster's members
   * (op-guide/hardware.md); the root disk holds only the OS and the etcd release.
   */
  nodeInstanceType: "m6i.large",
  nodeRootVolumeGiB: 20,
  volume: { type: "gp3", sizeGiB: 20, iops: 3000, throughputMiBps: 125 },
  /**
   * etcd's own defaults. Cross-AZ round trips inside one region are ~1-2 ms (AWS: single-digit
   * ms), so 100 ms is already 10-100x the RTT etcd's tuning guide asks for. The 250/2500 used
   * before cost a median 3.0 s of write unavailability per lost leader against 1.2 s here
   * (docs/benchmarks.md, with pre-vote, which the control plane always sets). If EBS stalls
   * longer than ~1 s cause spurious elections, raise the election timeout, not the heartbeat.
   */
  heartbeatIntervalMs: 100,
  electionTimeoutMs: 1000,
  /** etcd's default is 2 GiB; 8 GiB is etcd's suggested maximum. */
  quotaBackendGiB: 4,
} as const;

/** Name of the single worker pool a stack gets when it sets no `workerPools`. */
export const DEFAULT_WORKER_POOL_NAME = "general";

export const WORKER_POOL_DEFAULTS = {
  instanceTypes: ["m6i.large"],
  minSize: 1,
  maxSize: 3,
  desiredCapacity: 2,
  spotPercentage: 0,
  onDemandBaseCapacity: 0,
  rootVolumeGiB: 50,
  /** One ASG over every zone: fewest groups, and the names existing pools already have. */
  zonal: false,
} as const;

/** The seeds' leader-election timings for kube-scheduler and kube-controller-manager. */
export const LEADER_ELECTION_DEFAULTS = {
  leaseDurationSeconds: 15,
  renewDeadlineSeconds: 10,
  retryPeriodSeconds: 2,
} as const;

/** kops' schedule: every 15 minutes; hourly copies for 7 days, daily for 90. */
export const BACKUP_DEFAULTS = {
  intervalMinutes: 15,
  keepAllDays: 1,
  keepHourlyDays: 7,
  keepDailyDays: 90,
} as const;

/** Pinned add-on versions per CNI provider. */
export const CNI_VERSIONS = {
  calico: "3.30.3",
  cilium: "1.18.2",
  flannel: "0.27.3",
} as const;

export const CNI_DEFAULTS = { provider: "calico" } as const;

export const READINESS_GATE_DEFAULTS = { enabled: true, timeoutMinutes: 20 } as const;

/** Alarms on by default; subscriptions are optional (the topic and alarms work without them). */
export const MONITORING_DEFAULTS = { enabled: true, emailSubscriptions: [], httpsSubscriptions: [] } as const;

/**
 * Master rolls: 20 minutes per master (a replacement boots, joins etcd and passes its health
 * checks in ~10). The snapshot a roll requires may be up to `backupMaxAgeIntervals` backup
 * intervals old, so one late or skipped timer run does not block a roll: backupMaxAgeMinutes
 * defaults to `backupMaxAgeIntervals * backup.intervalMinutes` (30 with the default 15).
 */
export const ROLLING_DEFAULTS = { enabled: true, timeoutMinutes: 20, backupMaxAgeIntervals: 2 } as const;

/**
 * The AWS add-ons: every one on, and the EBS CSI driver's StorageClass the cluster's default.
 * Each add-on's default version is not here but `defaultAddonVersions(kubernetesVersion)`
 * (config/addon-versions.ts): the cloud controller and the cluster-autoscaler release one line per
 * Kubernetes minor, so their version follows `kubernetesVersion`.
 */
export const ADDON_DEFAULTS = {
  enabled: true,
  ebsCsiDriver: { defaultStorageClass: true },
} as const;
