/** A cluster's add-on input, and lookups into rendered objects, shared by the add-on tests. */

import type { Container, DaemonSet, Deployment, K8sObject, PodSpec } from "../../addons/k8sTypes";
import { type AddonManifest, type AddonManifestInput, renderAddonManifests } from "../../addons/render";
import { defaultAddonVersions } from "../../addons/versions";
import { AWS_ADDONS, type AwsAddon } from "../../base/addons";

export const CLUSTER = "prod-eu";
export const REGION = "eu-west-1";
export const ROLE_ARNS = {
  cloudControllerManager: "arn:aws:iam::123456789012:role/prod-eu-ccm",
  ebsCsiDriver: "arn:aws:iam::123456789012:role/prod-eu-ebs-csi",
  clusterAutoscaler: "arn:aws:iam::123456789012:role/prod-eu-cluster-autoscaler",
} as const;
export const KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/0b7e2c1a-1111-2222-3333-444455556666";

const ALL_ON = Object.fromEntries(AWS_ADDONS.map((a) => [a, true])) as Record<AwsAddon, boolean>;

export function addonInput(overrides: Partial<AddonManifestInput> = {}): AddonManifestInput {
  const kubernetesVersion = overrides.kubernetesVersion ?? "1.34.2";
  return {
    clusterName: CLUSTER,
    region: REGION,
    kubernetesVersion,
    versions: defaultAddonVersions(kubernetesVersion),
    enabled: ALL_ON,
    roleArns: { ...ROLE_ARNS },
    ebsKmsKeyArn: KMS_KEY,
    defaultStorageClass: true,
    ...overrides,
  };
}

export function manifestOf(manifests: AddonManifest[], addon: AwsAddon): AddonManifest {
  const found = manifests.find((m) => m.addon === addon);
  if (!found) throw new Error(`no manifest for ${addon}`);
  return found;
}

export function renderOne(addon: AwsAddon, overrides: Partial<AddonManifestInput> = {}): K8sObject[] {
  return manifestOf(renderAddonManifests(addonInput(overrides)), addon).objects;
}

export type Workload = DaemonSet | Deployment;

export function workloads(objects: K8sObject[]): Workload[] {
  return objects.filter((o): o is Workload => o.kind === "DaemonSet" || o.kind === "Deployment");
}

export function workload(objects: K8sObject[], kind: Workload["kind"], name: string): PodSpec {
  const found = workloads(objects).find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found.spec.template.spec;
}

export function container(spec: PodSpec, name: string): Container {
  const found = spec.containers.find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
}

export function envOf(c: Container): Record<string, string | undefined> {
  return Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
}
