/**
 * The worker pools' part of the cluster spec (config/types.ts re-exports it): a pool's sizes,
 * spot share, labels, taints and zone layout.
 */

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
  /**
   * One ASG per availability zone instead of one over every zone, each sized by `minSize`,
   * `maxSize`, `desiredCapacity` and `onDemandBaseCapacity` (the sizes are per zone), so the
   * cluster-autoscaler can grow the zone a pending pod's EBS volume lives in.
   */
  zonal: boolean;
}
