/**
 * addons.*: the AWS add-ons, each on or off at a pinned release. The versions default to the
 * ones for the cluster's Kubernetes minor (config/addon-versions.ts), and the add-ons that release one
 * line per minor are held to the cluster's minor.
 */

import type { AwsAddon } from "../base/addons";
import { defaultAddonVersions, EBS_CSI_DRIVER_VERSIONS } from "./addon-versions";
import { ADDON_DEFAULTS, DEFAULT_KUBERNETES_VERSION, SUPPORTED_KUBERNETES_MINORS } from "./defaults";
import type { Section } from "./reader";
import { SECTION_KEYS } from "./schema";
import type { AddonConfig, AddonsConfig } from "./types";

const RELEASE = /^(\d+)\.(\d+)\.(\d+)$/;
const KUBERNETES_RELEASE = /^1\.(\d+)\.\d+$/;

/**
 * Add-ons whose release line follows Kubernetes: cloud-provider-aws (the cloud controller) and
 * cluster-autoscaler cut one `1.<minor>.x` line per Kubernetes minor, built against that minor's
 * client libraries, and support only it.
 */
const FOLLOWS_KUBERNETES_MINOR: ReadonlySet<AwsAddon> = new Set([
  "cloudControllerManager",
  "clusterAutoscaler",
]);

/** The Kubernetes minor of a valid, supported `kubernetesVersion`; undefined otherwise (already reported). */
function supportedMinor(kubernetesVersion: string): number | undefined {
  const match = KUBERNETES_RELEASE.exec(kubernetesVersion);
  const minor = match ? Number(match[1]) : Number.NaN;
  const { min, max } = SUPPORTED_KUBERNETES_MINORS;
  return minor >= min && minor <= max ? minor : undefined;
}

function readAddon(
  addons: Section,
  addon: AwsAddon,
  defaultVersion: string,
  kubernetesMinor: number | undefined,
): { section: Section; config: AddonConfig } {
  const keys = addon === "ebsCsiDriver" ? SECTION_KEYS.ebsCsiDriver : SECTION_KEYS.addon;
  const section = addons.section(addon, keys);
  const enabled = section.boolean("enabled", ADDON_DEFAULTS.enabled);
  const version = section.string("version", defaultVersion);
  const release = RELEASE.exec(version);
  if (!release) {
    section.reject("version", `a release X.Y.Z without "v", e.g. "${defaultVersion}"`);
  } else if (
    FOLLOWS_KUBERNETES_MINOR.has(addon) &&
    kubernetesMinor !== undefined &&
    (release[1] !== "1" || Number(release[2]) !== kubernetesMinor)
  ) {
    section.reject(
      "version",
      `a 1.${kubernetesMinor}.x release, the minor of kubernetesVersion (${addon} releases one line per Kubernetes minor), e.g. "${defaultVersion}"`,
    );
  } else if (addon === "ebsCsiDriver" && !Object.hasOwn(EBS_CSI_DRIVER_VERSIONS, version)) {
    // Each driver release pins its CSI sidecar images; only releases listed there can be rendered.
    section.reject(
      "version",
      `one of ${Object.keys(EBS_CSI_DRIVER_VERSIONS).join(", ")} (the driver releases whose sidecar images config/addon-versions.ts pins)`,
    );
  }
  return { section, config: { enabled, version } };
}

export function readAddons(root: Section, kubernetesVersion: string): AddonsConfig {
  const addons = root.section("addons", SECTION_KEYS.addons);
  const minor = supportedMinor(kubernetesVersion);
  // A refused kubernetesVersion is reported on its own key; the defaults then follow the project's.
  const defaults = defaultAddonVersions(minor === undefined ? DEFAULT_KUBERNETES_VERSION : kubernetesVersion);
  const read = (addon: AwsAddon) => readAddon(addons, addon, defaults[addon], minor);
  const ccm = read("cloudControllerManager");
  const csi = read("ebsCsiDriver");
  const autoscaler = read("clusterAutoscaler");
  const terminationHandler = read("nodeTerminationHandler");

  const defaultStorageClass = csi.section.boolean(
    "defaultStorageClass",
    ADDON_DEFAULTS.ebsCsiDriver.defaultStorageClass,
  );
  if (csi.config.enabled && !ccm.config.enabled) {
    // Workers keep IMDS from the pod network (hop limit 1), so the driver's node plugin takes its
    // instance id from the Node's providerID and its zone from the topology labels, which only
    // the cloud controller sets (kubernetes-sigs/aws-ebs-csi-driver pkg/cloud/metadata/k8s.go).
    csi.section.reject(
      "enabled",
      `requires ${ccm.section.keyPath("enabled")}: true (the driver's node plugin reads its instance id and zone from the Node's providerID and topology labels, which the cloud controller sets); enable the cloud controller or set this to false`,
    );
  }

  return {
    cloudControllerManager: ccm.config,
    ebsCsiDriver: { ...csi.config, defaultStorageClass },
    clusterAutoscaler: autoscaler.config,
    nodeTerminationHandler: terminationHandler.config,
  };
}
