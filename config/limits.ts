/**
 * Hard limits the validator enforces (not defaults: those live in components/defaults.ts).
 * Each says where it comes from, so a limit that AWS or Kubernetes moves can be updated knowingly.
 */
import type { EtcdVolumeType } from "./types";

/** A DNS label (RFC 1123, lower case, starting with a letter). */
export const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The cluster name prefixes NLB and target-group names, which AWS caps at 32 characters;
 * 24 leaves room for the `-api`/`-tg` style suffixes the components add.
 */
export const CLUSTER_NAME_MAX = 24;

/**
 * Pool names join the cluster name in ASG, launch-template and IAM role names
 * (IAM role names are capped at 64 characters: 24 + 24 + suffixes fits).
 */
export const POOL_NAME_MAX = 24;

/** Availability zones used: one master per zone, and no region has more than 6 zones. */
export const ZONE_COUNT = { min: 1, max: 6 } as const;

/** HA control-plane sizes: odd, so a majority (n/2+1) survives floor((n-1)/2) failures. */
export const HA_MASTER_COUNTS = [3, 5, 7] as const;

/** Node root volumes: images and logs need 20 GiB; 16 TiB is far beyond any node and catches MiB-for-GiB slips. */
export const ROOT_VOLUME_GIB = { min: 20, max: 16384 } as const;

/**
 * EBS limits per volume type, CURRENT as of the 2025 gp3 update.
 * Sources: AWS EC2 API reference (CreateVolume/ModifyVolume `Throughput`: "Valid Range:
 * 125 - 2000 MiB/s"); AWS re:Invent 2025 STG320 "gp3 limits increased to 64 TiB and
 * 80,000 IOPS" (announced September 2025; before that gp3 was 16 TiB / 16,000 IOPS /
 * 1,000 MiB/s); Amazon EBS volume types page: gp3 at most 500 IOPS per GiB and 0.25 MiB/s
 * per provisioned IOPS; io1 64,000 IOPS at 50 IOPS/GiB, 4 GiB-16 TiB; io2 Block Express
 * 256,000 IOPS at 1,000 IOPS/GiB, 4 GiB-64 TiB. The 3,000 IOPS / 125 MiB/s gp3 baseline is
 * available at any size, so the ratios only bind above it.
 */
export interface EbsLimits {
  sizeGiB: { min: number; max: number };
  iops: { min: number; max: number };
  /** Most IOPS per GiB of size (above the free baseline for gp3). */
  iopsPerGiB: number;
  /** Provisioned throughput (gp3 only). */
  throughputMiBps?: { min: number; max: number; perIops: number };
}

export const EBS_LIMITS: Record<EtcdVolumeType, EbsLimits> = {
  gp3: {
    sizeGiB: { min: 1, max: 65536 },
    iops: { min: 3000, max: 80000 },
    iopsPerGiB: 500,
    throughputMiBps: { min: 125, max: 2000, perIops: 0.25 },
  },
  io1: { sizeGiB: { min: 4, max: 16384 }, iops: { min: 100, max: 64000 }, iopsPerGiB: 50 },
  io2: { sizeGiB: { min: 4, max: 65536 }, iops: { min: 100, max: 256000 }, iopsPerGiB: 1000 },
};

/** The gp3 baseline every gp3 volume gets regardless of size. */
export const GP3_BASELINE = { iops: 3000, throughputMiBps: 125 } as const;

/** etcd flags: heartbeat sanity range; etcd refuses election < 5x heartbeat and > 50000 ms. */
export const ETCD_HEARTBEAT_MS = { min: 10, max: 1000 } as const;
export const ETCD_ELECTION_MAX_MS = 50000;
export const ETCD_ELECTION_MIN_FACTOR = 5;
/** etcd docs: default 2 GiB, 8 GiB the suggested maximum. */
export const ETCD_QUOTA_GIB = { min: 1, max: 8 } as const;

/** VPC prefix range the subnet layout supports (private subnets are vpc/+4, public vpc/+8). */
export const VPC_PREFIX = { min: 16, max: 20 } as const;
/** AWS allows VPCs from /16 to /28 (for an existing VPC we only need it to be valid). */
export const EXISTING_VPC_PREFIX = { min: 16, max: 28 } as const;
/** kube-apiserver refuses IPv4 service ranges larger than /12; below /24 leaves too few Services. */
export const SERVICE_PREFIX = { min: 12, max: 24 } as const;
/** Pod ranges: each node takes a /24 (kube-controller-manager's default node mask), so at most /24. */
export const POD_PREFIX = { min: 8, max: 24 } as const;

/** Worker pools: an ASG of more than 1000 is beyond what this project was sized for. */
export const POOL_MAX_SIZE = 1000;

export const BACKUP_INTERVAL_MINUTES = { min: 5, max: 60 } as const;
export const READINESS_TIMEOUT_MINUTES = { min: 1, max: 120 } as const;

/**
 * AWS allows 50 tags per resource; the project itself sets up to 10 (Name, k8sha.io/*,
 * kubernetes.io/cluster/*), so users get 40. Key/value lengths are AWS's.
 */
export const TAG_LIMITS = { maxTags: 40, keyMax: 128, valueMax: 256 } as const;

/**
 * Auto Scaling group tags: at most 50 per group, keys 1-128 and values 0-256 characters. Sources:
 * Amazon EC2 Auto Scaling User Guide, "Tag Auto Scaling groups and instances" > "Tag naming and
 * usage restrictions" (docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-tagging.html:
 * "The maximum number of tags per resource is 50", key 128, value 256 Unicode characters); the
 * Auto Scaling API `Tag` type (Key length 1-128); AWS Tag Editor User Guide "Service quotas"
 * (docs.aws.amazon.com/tag-editor/latest/userguide/reference.html: 50 user-defined tags per
 * resource, key 1-128, value 0-256 Unicode characters). A worker ASG carries the project's node
 * tags, the stack's `tags` and the cluster-autoscaler's tags (config/validate-worker-tags.ts).
 */
export const ASG_TAG_LIMITS = {
  maxTags: 50,
  keyMax: TAG_LIMITS.keyMax,
  valueMax: TAG_LIMITS.valueMax,
} as const;
