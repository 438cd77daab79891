/**
 * The add-on manifests of a cluster: the objects of every enabled add-on (typed, k8sTypes.ts),
 * their YAML, and the one multi-document bundle the masters apply, content-addressed by its
 * SHA-256 (base/addons.ts `AddonManifestPointer`). Pure: the same input gives the same bytes,
 * so the bundle's key changes exactly when a manifest does.
 */
import { createHash } from "node:crypto";
import { type AddonWithRole, AWS_ADDONS, type AwsAddon } from "../base/addons";
import { renderYaml } from "../cloud-init/placeholders";
import { DNS_LABEL } from "../config/limits";
import { cloudControllerManagerObjects } from "./cloudControllerManager";
import { clusterAutoscalerObjects } from "./clusterAutoscaler";
import { ebsCsiDriverObjects } from "./ebsCsiDriver";
import type { K8sObject } from "./k8sTypes";
import { nodeTerminationHandlerObjects } from "./nodeTerminationHandler";
import { defaultStorageClass } from "./storageClass";
import { checkAddonVersion, EBS_CSI_DRIVER_VERSIONS, supportedMinor } from "./versions";
import type { WebIdentity } from "./webIdentity";

export interface AddonManifestInput {
  clusterName: string;
  /** Region of the cluster: the add-ons' AWS calls and STS endpoint. */
  region: string;
  /** `1.MINOR.PATCH`: the cloud-controller-manager and cluster-autoscaler must match its minor. */
  kubernetesVersion: string;
  /** `X.Y.Z` of every add-on (versions.ts `defaultAddonVersions` gives the defaults). */
  versions: Record<AwsAddon, string>;
  enabled: Record<AwsAddon, boolean>;
  /** The IAM role of each enabled add-on that has one. */
  roleArns: Partial<Record<AddonWithRole, string>>;
  /** The cluster's EBS KMS key: the default StorageClass encrypts with it. */
  ebsKmsKeyArn: string;
  /** Also create the default `gp3` StorageClass (EBS CSI driver only). */
  defaultStorageClass: boolean;
}

export interface AddonManifest {
  addon: AwsAddon;
  version: string;
  objects: K8sObject[];
  /** The objects as multi-document YAML. */
  yaml: string;
}

export interface AddonManifestBundle {
  content: string;
  /** Hex SHA-256 of `content`'s UTF-8 bytes. */
  sha256: string;
}

function identityOf(input: AddonManifestInput, addon: AddonWithRole): WebIdentity {
  const roleArn = input.roleArns[addon];
  if (roleArn === undefined || roleArn === "") {
    throw new Error(`add-ons: ${addon} is enabled but has no IAM role ARN (roleArns.${addon})`);
  }
  return { addon, roleArn, region: input.region };
}

function objectsOf(input: AddonManifestInput, addon: AwsAddon): K8sObject[] {
  const version = input.versions[addon];
  switch (addon) {
    case "cloudControllerManager":
      return cloudControllerManagerObjects({
        clusterName: input.clusterName,
        version,
        identity: identityOf(input, addon),
      });
    case "ebsCsiDriver": {
      const sidecars = EBS_CSI_DRIVER_VERSIONS[version];
      if (sidecars === undefined) throw new Error(`add-ons: unknown ebsCsiDriver version ${version}`);
      const objects = ebsCsiDriverObjects({
        clusterName: input.clusterName,
        version,
        sidecars,
        kubernetesMinor: supportedMinor(input.kubernetesVersion),
        identity: identityOf(input, addon),
      });
      return input.defaultStorageClass ? [...objects, defaultStorageClass(input.ebsKmsKeyArn)] : objects;
    }
    case "clusterAutoscaler":
      return clusterAutoscalerObjects({
        clusterName: input.clusterName,
        version,
        identity: identityOf(input, addon),
      });
    case "nodeTerminationHandler":
      return nodeTerminationHandlerObjects({ version });
  }
}

/** One manifest per enabled add-on, in `AWS_ADDONS` order (the order the applier installs them). */
export function renderAddonManifests(input: AddonManifestInput): AddonManifest[] {
  // The name goes into flags, tags and label-like values; the stack config already enforces this.
  if (!DNS_LABEL.test(input.clusterName)) {
    throw new Error(`add-ons: cluster name ${JSON.stringify(input.clusterName)} is not a DNS label`);
  }
  if (input.region === "") throw new Error("add-ons: region is empty");
  return AWS_ADDONS.filter((addon) => input.enabled[addon]).map((addon) => {
    const version = input.versions[addon];
    checkAddonVersion(addon, version, input.kubernetesVersion);
    const objects = objectsOf(input, addon);
    return { addon, version, objects, yaml: renderYaml(objects) };
  });
}

/**
 * Every manifest in one multi-document YAML, in `AWS_ADDONS` order whatever the order of
 * `manifests`, with its SHA-256 (the object key and the applier's integrity check).
 */
export function addonManifestBundle(manifests: readonly AddonManifest[]): AddonManifestBundle {
  const ordered = [...manifests].sort((a, b) => AWS_ADDONS.indexOf(a.addon) - AWS_ADDONS.indexOf(b.addon));
  const content = ordered.map((m) => m.yaml).join("---\n");
  return { content, sha256: createHash("sha256").update(content, "utf8").digest("hex") };
}
