/**
 * The rules a configured add-on version must meet to be rendered. The pinned releases and the
 * defaults per Kubernetes minor are configuration defaults and live in config/addon-versions.ts;
 * they are re-exported here for the renderers.
 */
import type { AwsAddon } from "../base/addons";
import { EBS_CSI_DRIVER_VERSIONS, supportedMinor } from "../config/addon-versions";

export {
  CLOUD_CONTROLLER_MANAGER_VERSIONS,
  CLUSTER_AUTOSCALER_VERSIONS,
  DEFAULT_EBS_CSI_DRIVER_VERSION,
  defaultAddonVersions,
  EBS_CSI_DRIVER_VERSIONS,
  type EbsCsiSidecarTags,
  NODE_TERMINATION_HANDLER_VERSIONS,
  supportedMinor,
} from "../config/addon-versions";

const RELEASE = /^(\d+)\.(\d+)\.(\d+)$/;

/**
 * Refuses a version this project cannot render for the cluster: not `X.Y.Z`; for the
 * cloud-controller-manager and cluster-autoscaler, a minor other than the cluster's (both are
 * built against one Kubernetes minor); for the EBS CSI driver, a release whose sidecars are not
 * in `EBS_CSI_DRIVER_VERSIONS`.
 */
export function checkAddonVersion(addon: AwsAddon, version: string, kubernetesVersion: string): void {
  const match = RELEASE.exec(version);
  if (!match)
    throw new Error(`add-ons: ${addon} version must be X.Y.Z without "v", got ${JSON.stringify(version)}`);
  const minor = supportedMinor(kubernetesVersion);
  if ((addon === "cloudControllerManager" || addon === "clusterAutoscaler") && Number(match[2]) !== minor) {
    throw new Error(
      `add-ons: ${addon} ${version} is built for Kubernetes 1.${match[2]}, the cluster runs 1.${minor}`,
    );
  }
  if (addon === "ebsCsiDriver" && !(version in EBS_CSI_DRIVER_VERSIONS)) {
    const known = Object.keys(EBS_CSI_DRIVER_VERSIONS).join(", ");
    throw new Error(`add-ons: unknown ebsCsiDriver version ${version} (sidecar images known for: ${known})`);
  }
}
