/**
 * The pinned releases of the AWS add-ons: the default version of each per supported Kubernetes
 * minor, and the EBS CSI driver releases whose sidecar images are known. Like CNI_VERSIONS in
 * config/defaults.ts these are defaults the resolver fills in, so they live in config/: the
 * renderer (addons/) reads them from here, and config/ never imports a layer above it.
 * Versions are `X.Y.Z` without "v"; the image tags add it. Every version is a released one,
 * confirmed in the upstream repositories (tags, changelogs, chart metadata, and for the
 * registry.k8s.io images the promoter manifests of kubernetes/k8s.io).
 */
import type { AwsAddon } from "../base/addons";
import { SUPPORTED_KUBERNETES_MINORS } from "./defaults";
import { kubernetesMinor } from "./semver";

/**
 * kubernetes/cloud-provider-aws releases one line per Kubernetes minor and its image must match
 * the cluster's minor. Newest patch of each line: git tags v1.31.9 ... v1.35.2, all listed as
 * promoted in kubernetes/k8s.io registry.k8s.io/images/k8s-staging-provider-aws/images.yaml
 * (image registry.k8s.io/provider-aws/cloud-controller-manager).
 */
export const CLOUD_CONTROLLER_MANAGER_VERSIONS: Record<number, string> = {
  31: "1.31.9",
  32: "1.32.8",
  33: "1.33.4",
  34: "1.34.3",
  35: "1.35.2",
};

/**
 * kubernetes/autoscaler releases cluster-autoscaler per Kubernetes minor, and its README's table
 * pairs each CA minor with the same Kubernetes minor. Newest patch of each line: tags
 * cluster-autoscaler-1.31.5 ... cluster-autoscaler-1.35.2, whose cluster-autoscaler/version/version.go
 * states the same number (image registry.k8s.io/autoscaling/cluster-autoscaler).
 */
export const CLUSTER_AUTOSCALER_VERSIONS: Record<number, string> = {
  31: "1.31.5",
  32: "1.32.7",
  33: "1.33.6",
  34: "1.34.5",
  35: "1.35.2",
};

/** The CSI sidecar images one EBS CSI driver release was built and tested with (full tags). */
export interface EbsCsiSidecarTags {
  provisioner: string;
  attacher: string;
  resizer: string;
  livenessProbe: string;
  nodeDriverRegistrar: string;
}

/**
 * kubernetes-sigs/aws-ebs-csi-driver is not tied to a Kubernetes minor; each release pins its
 * sidecars. 1.64.0: tag v1.64.0, CHANGELOG.md, charts/aws-ebs-csi-driver/CHANGELOG.md (chart
 * 2.64.0) and deploy/kubernetes/base/{controller,node}.yaml after the release commit, which
 * also give the sidecar tags below (public.ecr.aws/csi-components/...). Only driver versions
 * listed here can be rendered: the sidecars of any other are unknown to this project.
 */
export const EBS_CSI_DRIVER_VERSIONS: Record<string, EbsCsiSidecarTags> = {
  "1.64.0": {
    provisioner: "v6.3.0-eksbuild.4",
    attacher: "v4.12.0-eksbuild.5",
    resizer: "v2.2.1-eksbuild.3",
    livenessProbe: "v2.19.0-eksbuild.5",
    nodeDriverRegistrar: "v2.17.0-eksbuild.5",
  },
};
export const DEFAULT_EBS_CSI_DRIVER_VERSION = "1.64.0";

/**
 * aws/aws-node-termination-handler 1.25.6 (tag v1.25.6, chart
 * config/helm/aws-node-termination-handler appVersion 1.25.6) is its newest release. Its
 * README's compatibility table marks it tested up to Kubernetes 1.32; nothing newer exists, so
 * 1.33-1.35 get it too, untested upstream (it only cordons, drains and reads IMDS).
 */
export const NODE_TERMINATION_HANDLER_VERSIONS: Record<number, string> = {
  31: "1.25.6",
  32: "1.25.6",
  33: "1.25.6",
  34: "1.25.6",
  35: "1.25.6",
};

/** The minor of `1.MINOR.PATCH`; throws outside the supported range. */
export function supportedMinor(kubernetesVersion: string): number {
  const minor = kubernetesMinor(kubernetesVersion);
  if (minor === undefined) {
    throw new Error(`add-ons: kubernetesVersion must be 1.MINOR.PATCH, got ${kubernetesVersion}`);
  }
  const { min, max } = SUPPORTED_KUBERNETES_MINORS;
  if (minor < min || minor > max) {
    throw new Error(`add-ons: Kubernetes 1.${minor} is not supported (1.${min}-1.${max})`);
  }
  return minor;
}

function fromTable(table: Record<number, string>, minor: number, addon: AwsAddon): string {
  const version = table[minor];
  if (version === undefined)
    throw new Error(`add-ons: no default ${addon} version for Kubernetes 1.${minor}`);
  return version;
}

/** The default version of every add-on for a cluster running `kubernetesVersion` (`1.MINOR.PATCH`). */
export function defaultAddonVersions(kubernetesVersion: string): Record<AwsAddon, string> {
  const minor = supportedMinor(kubernetesVersion);
  return {
    cloudControllerManager: fromTable(CLOUD_CONTROLLER_MANAGER_VERSIONS, minor, "cloudControllerManager"),
    ebsCsiDriver: DEFAULT_EBS_CSI_DRIVER_VERSION,
    clusterAutoscaler: fromTable(CLUSTER_AUTOSCALER_VERSIONS, minor, "clusterAutoscaler"),
    nodeTerminationHandler: fromTable(NODE_TERMINATION_HANDLER_VERSIONS, minor, "nodeTerminationHandler"),
  };
}
