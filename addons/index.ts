/** The AWS add-on manifests: rendering, default versions, and the names other layers share. */
export { CLOUD_CONTROLLER_MANAGER_IMAGE, UNINITIALIZED_TAINT } from "./cloudControllerManager";
export {
  CLUSTER_AUTOSCALER_IMAGE,
  clusterAutoscalerFlags,
} from "./clusterAutoscaler";
export { EBS_CSI_DRIVER_IMAGE, EBS_CSI_DRIVER_NAME } from "./ebsCsiDriver";
export type { K8sObject } from "./k8sTypes";
export { MANAGED_BY, MANAGED_BY_LABEL } from "./k8sTypes";
export { NODE_TERMINATION_HANDLER_IMAGE } from "./nodeTerminationHandler";
export type { AddonManifest, AddonManifestBundle, AddonManifestInput } from "./render";
export { addonManifestBundle, renderAddonManifests } from "./render";
export { DEFAULT_STORAGE_CLASS } from "./storageClass";
export {
  CLOUD_CONTROLLER_MANAGER_VERSIONS,
  CLUSTER_AUTOSCALER_VERSIONS,
  checkAddonVersion,
  DEFAULT_EBS_CSI_DRIVER_VERSION,
  defaultAddonVersions,
  EBS_CSI_DRIVER_VERSIONS,
  NODE_TERMINATION_HANDLER_VERSIONS,
} from "./versions";
