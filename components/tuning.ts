/**
 * Internal tuning of the components: values a user does not set in config (health-check
 * timings, launch-template hardening, PKI lifetimes). User-facing defaults live in
 * config/defaults.ts, fixed facts (ports, paths, tag keys) in base/.
 */
import { API_PORT } from "../base/ports";

/**
 * The backup bucket's safety nets: versions replaced or deleted (e.g. by a compromised
 * writer) stay 7 days; multipart uploads of a crashed backup are dropped after 1 day. Its
 * server access logs are on and kept 90 days (long enough to investigate who read a snapshot
 * last quarter, short enough that the log bucket does not grow without bound).
 */
export const BACKUP_BUCKET_DEFAULTS = {
  noncurrentVersionDays: 7,
  abortIncompleteUploadDays: 1,
  forceDestroy: false,
  accessLogs: true,
  accessLogRetentionDays: 90,
  /** Days a failed boot's log tail stays in the cluster bucket (docs/boot-failures.md). */
  bootLogDays: 30,
} as const;

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
  /** IMDS hop limit 1 (as every node, `LAUNCH_TEMPLATE_DEFAULTS`): ordinary pods cannot borrow the worker role. */
  metadataHopLimit: 1,
} as const;

/** API load balancer health check: HTTPS /readyz every 5 s, out after 3 failures (15 s). */
export const API_HEALTH_CHECK = {
  port: API_PORT,
  path: "/readyz",
  intervalSeconds: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
} as const;

/** API NLB target group: quick deregistration (30 s) so a drained master leaves fast; 4 s check timeout (< interval). */
export const API_LB_DEFAULTS = { deregistrationDelaySeconds: 30, healthCheckTimeoutSeconds: 4 } as const;

/** Ubuntu 24.04 LTS amd64 from Canonical's AWS account: the OS the boot scripts target. */
export const UBUNTU_AMI = {
  owner: "099720109477",
  namePattern: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*",
  rootDeviceName: "/dev/sda1",
} as const;

/**
 * Hardened launch templates: IMDSv2 only, gp3 root, IMDS hop limit 1 on every node. With 2, a
 * bridged pod (one hop behind the host) reaches IMDS and takes the node role's credentials;
 * on a master that is the master role (CoreDNS and anything else tolerating the
 * control-plane taint runs there). Nothing here needs 2: kubelet, kubeadm, the boot scripts
 * and hostNetwork add-ons call IMDS from the host's own network namespace (zero hops).
 */
export const LAUNCH_TEMPLATE_DEFAULTS = { metadataHopLimit: 1, rootVolumeType: "gp3" } as const;

/**
 * The AWS-managed EBS key, named on every volume instead of "the account's default": an
 * account whose EBS default is a customer key would otherwise encrypt with that key, and the
 * AWSServiceRoleForAutoScaling service-linked role cannot use a customer key without a
 * key-policy statement (kms:Encrypt, Decrypt, ReEncrypt*, GenerateDataKey*, DescribeKey) and
 * kms:CreateGrant with kms:GrantIsForAWSResource, so launches fail. AWS-managed keys need no
 * grant (https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html).
 * Not the cluster's own KMS key: it would need exactly those grants, and it is scoped to SSM.
 */
export const EBS_KEY_ALIAS = "alias/aws/ebs";

/**
 * Masters: the EBS etcd volume survives `pulumi destroy` and replacement (its data is the
 * member's state; clean-up is manual, see docs/control-plane.md). EC2 health checks get
 * 10 minutes of grace for first-boot kubeadm.
 */
export const MASTER_GROUP_DEFAULTS = {
  retainEtcdVolumeOnDelete: true,
  healthCheckGraceSeconds: 600,
} as const;

/**
 * Dedicated etcd nodes (external topology): the same volume retention as masters, for the same
 * reason. The grace covers installing the release and, for a member on a blank volume, joining as
 * a learner and catching up before promotion, which can outlast a kubeadm boot on a large keyspace.
 */
export const ETCD_NODE_GROUP_DEFAULTS = {
  retainEtcdVolumeOnDelete: MASTER_GROUP_DEFAULTS.retainEtcdVolumeOnDelete,
  healthCheckGraceSeconds: 900,
} as const;

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
