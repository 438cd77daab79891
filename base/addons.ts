/**
 * The cluster add-ons that talk to AWS, and the names their parts share: the manifests
 * (addons/), their IAM roles (components/identity, components/iam/addonPolicies/) and the
 * node-side applier (cloud-init/lib/addons.sh) all take them from here, so a service account
 * named in a manifest is the one its role trusts.
 */

/** Every AWS add-on, in the order the applier installs them. */
export const AWS_ADDONS = [
  "cloudControllerManager",
  "ebsCsiDriver",
  "clusterAutoscaler",
  "nodeTerminationHandler",
] as const;
export type AwsAddon = (typeof AWS_ADDONS)[number];

/** Namespace of every add-on object. */
export const ADDON_NAMESPACE = "kube-system";

/** The label every add-on object carries, its value the add-on's name: how a disabled add-on is found and removed. */
export const ADDON_LABEL = "k8sha.io/addon";

/** Service accounts that assume an IAM role (web identity); `nodeTerminationHandler` needs none (IMDS mode). */
export const ADDON_SERVICE_ACCOUNTS = {
  cloudControllerManager: "cloud-controller-manager",
  ebsCsiDriver: "ebs-csi-controller-sa",
  clusterAutoscaler: "cluster-autoscaler",
} as const satisfies Partial<Record<AwsAddon, string>>;
export type AddonWithRole = keyof typeof ADDON_SERVICE_ACCOUNTS;

/** `system:serviceaccount:<ns>:<name>`: the `sub` claim of the add-on's projected token. */
export function serviceAccountSubject(addon: AddonWithRole): string {
  return `system:serviceaccount:${ADDON_NAMESPACE}:${ADDON_SERVICE_ACCOUNTS[addon]}`;
}

/** Audience of the projected token the pods hand to STS (AssumeRoleWithWebIdentity). */
export const WEB_IDENTITY_AUDIENCE = "sts.amazonaws.com";
/** Where the projected token is mounted in an add-on pod (AWS_WEB_IDENTITY_TOKEN_FILE). */
export const WEB_IDENTITY_TOKEN_DIR = "/var/run/secrets/k8sha.io/serviceaccount";
export const WEB_IDENTITY_TOKEN_FILE = `${WEB_IDENTITY_TOKEN_DIR}/token`;

/** The tag the EBS CSI driver puts on every volume it creates; its IAM may touch only those. */
export const EBS_CSI_VOLUME_TAG = "ebs.csi.aws.com/cluster";

/** `<cluster>/addons/`: the content-addressed add-on manifests in the cluster bucket (masters read it). */
export function addonsManifestPrefix(clusterName: string): string {
  return `${clusterName}/addons/`;
}

/** The JSON value of the add-on SSM parameter (base/ssmPaths.ts `addonsParameterName`). */
export interface AddonManifestPointer {
  bucket: string;
  /** `<cluster>/addons/<sha256>.yaml`: every enabled add-on's objects, one multi-document YAML. */
  key: string;
  /** Hex SHA-256 of the object; the applier refuses anything else. */
  sha256: string;
  /** Add-ons in the manifest. */
  enabled: AwsAddon[];
  /** Add-ons switched off: the applier deletes their objects (by `ADDON_LABEL`). */
  disabled: AwsAddon[];
}
