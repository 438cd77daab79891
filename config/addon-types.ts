/**
 * The AWS add-ons' part of the cluster spec (config/types.ts re-exports it): one section per
 * add-on of base/addons.ts `AWS_ADDONS`, each on or off at a pinned release.
 */

/** One AWS add-on (base/addons.ts `AWS_ADDONS`). */
export interface AddonConfig {
  /** Installed and kept by the masters' applier; off: its objects are deleted. */
  enabled: boolean;
  /** Release `X.Y.Z` without "v"; default: the one for the cluster's Kubernetes minor. */
  version: string;
}

export interface EbsCsiDriverConfig extends AddonConfig {
  /** Also install a gp3 StorageClass marked as the cluster's default. */
  defaultStorageClass: boolean;
}

/** The AWS add-ons, one section each (keyed as base/addons.ts `AWS_ADDONS`). */
export interface AddonsConfig {
  /** AWS cloud-controller-manager: node addresses, providerID, zone labels, Service load balancers. */
  cloudControllerManager: AddonConfig;
  /** EBS CSI driver: PersistentVolumes on EBS. Needs `cloudControllerManager` (its node plugin reads the Node's providerID). */
  ebsCsiDriver: EbsCsiDriverConfig;
  /** cluster-autoscaler: scales the worker pools' ASGs within their min and max. */
  clusterAutoscaler: AddonConfig;
  /** AWS node termination handler (IMDS mode): drains a node before a spot reclaim or EC2 maintenance. */
  nodeTerminationHandler: AddonConfig;
}
