/**
 * The permission documents of the AWS add-ons' web-identity roles, one least-privilege policy
 * per add-on that calls AWS (`ADDON_SERVICE_ACCOUNTS` in base/addons.ts).
 *
 * The node termination handler has no role and needs no IAM: it runs in IMDS mode, reading
 * spot interruption and rebalance notices from the instance's own metadata service, and the
 * workers' scale-in and refresh terminations are drained by the existing worker-drain lifecycle
 * hook (cloud-init/lib/worker-drain.sh), not by a queue the handler would have to read.
 */
export {
  CCM_DESCRIBE_ACTIONS,
  CCM_LOAD_BALANCER_ACTIONS,
  CCM_SERVICE_TAG,
  type CloudControllerManagerPolicyArgs,
  cloudControllerManagerPolicy,
} from "./cloudControllerManager";
export {
  AUTOSCALER_DESCRIBE_ACTIONS,
  AUTOSCALER_SCALING_ACTIONS,
  clusterAutoscalerPolicy,
  scalableGroupTags,
} from "./clusterAutoscaler";
export {
  csiVolumeTags,
  EBS_CSI_DESCRIBE_ACTIONS,
  EBS_KMS_ACTIONS,
  type EbsCsiDriverPolicyArgs,
  ebsCsiDriverPolicy,
  PROTECTED_TAG_PATTERNS,
} from "./ebsCsiDriver";
export type { AddonPolicyScope } from "./scope";
