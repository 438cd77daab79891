/**
 * Every default of the project, in one place. The config loader fills missing stack
 * values from here, and components fall back to the same constants when a reusing
 * project omits an optional arg, so the two can never drift apart.
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
} as const;

export const MASTER_DEFAULTS = {
  count: 3,
  allowNonHa: false,
  instanceType: "m6i.large",
  rootVolumeGiB: 50,
} as const;

/** kops' etcd volume: gp3, 20 GiB, 3000 IOPS, 125 MiB/s (the gp3 baseline, no extra cost). */
export const ETCD_DEFAULTS = {
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

/**
 * The backup bucket's safety nets: versions replaced or deleted (e.g. by a compromised
 * writer) stay 7 days; multipart uploads of a crashed backup are dropped after 1 day.
 */
export const BACKUP_BUCKET_DEFAULTS = {
  noncurrentVersionDays: 7,
  abortIncompleteUploadDays: 1,
  forceDestroy: false,
} as const;

/** Pinned add-on versions per CNI provider. */
export const CNI_VERSIONS = {
  calico: "3.30.3",
  cilium: "1.18.2",
  flannel: "0.27.3",
} as const;

export const CNI_DEFAULTS = { provider: "calico" } as const;

export const READINESS_GATE_DEFAULTS = { enabled: true, timeoutMinutes: 20 } as const;

/** Seconds between the readiness gate's polls of the API. */
export const READINESS_GATE_POLL_SECONDS = 10;

/**
 * Worker ASGs: rolling instance refresh keeping 90% in service (one node at a time for small
 * pools), spot bought price-capacity-optimized with capacity rebalancing, 5 minutes' grace for
 * first boot before EC2 health checks count.
 */
export const WORKER_GROUP_DEFAULTS = {
  minHealthyPercentage: 90,
  instanceWarmupSeconds: 300,
  spotAllocationStrategy: "price-capacity-optimized",
  onDemandAllocationStrategy: "prioritized",
  healthCheckGraceSeconds: 300,
  /** IMDS hop limit 1: host processes reach IMDS, ordinary pods cannot borrow the worker role. */
  metadataHopLimit: 1,
} as const;

/** API load balancer health check: HTTPS /readyz every 5 s, out after 3 failures (15 s). */
export const API_HEALTH_CHECK = {
  port: 6443,
  path: "/readyz",
  intervalSeconds: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
} as const;

/** The Kubernetes API port. */
export const API_PORT = 6443;

/** API NLB target group: quick deregistration (30 s) so a drained master leaves fast; 4 s check timeout (< interval). */
export const API_LB_DEFAULTS = { deregistrationDelaySeconds: 30, healthCheckTimeoutSeconds: 4 } as const;

/** Ubuntu 24.04 LTS amd64 from Canonical's AWS account: the OS the boot scripts target. */
export const UBUNTU_AMI = {
  owner: "099720109477",
  namePattern: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*",
  rootDeviceName: "/dev/sda1",
} as const;

/** Hardened launch templates: IMDSv2 only, hop limit 2 (containers behind one bridge hop), gp3 root. */
export const LAUNCH_TEMPLATE_DEFAULTS = { metadataHopLimit: 2, rootVolumeType: "gp3" } as const;

/**
 * Masters: the EBS etcd volume survives `pulumi destroy` and replacement (its data is the
 * member's state; clean-up is manual, see docs/control-plane.md). EC2 health checks get
 * 10 minutes of grace for first-boot kubeadm.
 */
export const MASTER_GROUP_DEFAULTS = {
  retainEtcdVolumeOnDelete: true,
  healthCheckGraceSeconds: 600,
} as const;

/** Where each master mounts its etcd EBS volume; etcd's data lives in a sub-directory. */
export const ETCD_MOUNT_POINT = "/var/lib/etcd-volume";
export const ETCD_DATA_DIR = `${ETCD_MOUNT_POINT}/data`;

/** SSM Parameter Store prefix for everything a cluster keeps there. */
export function ssmPrefix(clusterName: string): string {
  return `/k8sha/${clusterName}`;
}

/**
 * Cluster PKI, as kubeadm does it: RSA 2048 keys (kubeadm's default `encryptionAlgorithm`),
 * CAs valid 10 years, client certificates 1 year. `clientEarlyRenewalHours` makes
 * `pulumi up` re-issue the admin certificate in its last 30 days. CAs get no early renewal:
 * replacing a CA under a running cluster would break every node (see docs/security.md).
 */
export const PKI_DEFAULTS = {
  rsaBits: 2048,
  caValidityHours: 10 * 365 * 24,
  clientValidityHours: 365 * 24,
  clientEarlyRenewalHours: 30 * 24,
  /** kubeadm token TTL: "0s" = never expires, so workers launched months later can join. */
  bootstrapTokenTtl: "0s",
  /** BootstrapToken `rotation` keeper when none is given; changing it would replace every token. */
  bootstrapTokenRotation: "initial",
  /** Days KMS waits before deleting the secrets key (7 is the minimum). */
  kmsDeletionWindowDays: 7,
} as const;

/** ARN partition of IAM resource ARNs when none is given (GovCloud: aws-us-gov, China: aws-cn). */
export const AWS_DEFAULT_PARTITION = "aws";

/** CloudWatch namespace for node metrics; the master IAM policy only allows this one. */
export const METRICS_NAMESPACE = "K8sHA";
