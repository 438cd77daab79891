/**
 * How an add-on pod assumes its IAM role without a pod-identity webhook. On EKS, the
 * amazon-eks-pod-identity-webhook mutates pods of an annotated service account: it adds a
 * projected service-account token for audience sts.amazonaws.com and the AWS_ROLE_ARN /
 * AWS_WEB_IDENTITY_TOKEN_FILE variables (aws/amazon-eks-pod-identity-webhook README). This
 * cluster has no such webhook, so the manifests carry the same volume and variables themselves.
 * The default credential chain of the AWS SDK for Go (v2 in the CCM, the EBS CSI driver and
 * recent cluster-autoscalers; older autoscalers vendor v1, which reads the same variables)
 * then calls AssumeRoleWithWebIdentity with the token; the role trusts the cluster's issuer for exactly
 * the add-on's service account (`serviceAccountSubject`, base/addons.ts).
 */
import {
  ADDON_SERVICE_ACCOUNTS,
  type AddonWithRole,
  WEB_IDENTITY_AUDIENCE,
  WEB_IDENTITY_TOKEN_DIR,
  WEB_IDENTITY_TOKEN_FILE,
} from "../base/addons";
import type { Container, EnvVar, PodSpec, Volume, VolumeMount } from "./k8sTypes";

/** Name of the projected token volume in an add-on pod. */
export const WEB_IDENTITY_VOLUME = "aws-iam-token";
/** The token's lifetime: the webhook's default; the kubelet renews it at 80% of it. */
export const WEB_IDENTITY_TOKEN_SECONDS = 86400;

/** Where an add-on's pods authenticate: its role and the region of its AWS calls. */
export interface WebIdentity {
  addon: AddonWithRole;
  roleArn: string;
  region: string;
}

/**
 * The variables the SDK's web-identity provider reads, and the region (no pod reaches IMDS to
 * learn it unless on the host network). Regional STS endpoints: the legacy global endpoint
 * would make STS in us-east-1 a dependency of every region.
 */
export function webIdentityEnv(identity: WebIdentity): EnvVar[] {
  return [
    { name: "AWS_ROLE_ARN", value: identity.roleArn },
    { name: "AWS_WEB_IDENTITY_TOKEN_FILE", value: WEB_IDENTITY_TOKEN_FILE },
    { name: "AWS_REGION", value: identity.region },
    { name: "AWS_DEFAULT_REGION", value: identity.region },
    { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" },
  ];
}

export function webIdentityVolume(): Volume {
  return {
    name: WEB_IDENTITY_VOLUME,
    projected: {
      sources: [
        {
          serviceAccountToken: {
            audience: WEB_IDENTITY_AUDIENCE,
            expirationSeconds: WEB_IDENTITY_TOKEN_SECONDS,
            path: WEB_IDENTITY_TOKEN_FILE.slice(WEB_IDENTITY_TOKEN_DIR.length + 1),
          },
        },
      ],
    },
  };
}

export function webIdentityMount(): VolumeMount {
  return { name: WEB_IDENTITY_VOLUME, mountPath: WEB_IDENTITY_TOKEN_DIR, readOnly: true };
}

/** `container` with the web-identity variables (after its own) and the token mount. */
export function withWebIdentity(container: Container, identity: WebIdentity): Container {
  return {
    ...container,
    env: [...(container.env ?? []), ...webIdentityEnv(identity)],
    volumeMounts: [...(container.volumeMounts ?? []), webIdentityMount()],
  };
}

/**
 * The pod spec of the add-on's role: its service account (the one the role trusts), the token
 * volume, and the web identity on the containers named in `containers` (the ones that call AWS).
 */
export function podWithWebIdentity(
  spec: Omit<PodSpec, "serviceAccountName">,
  identity: WebIdentity,
  containers: readonly string[],
): PodSpec {
  for (const name of containers) {
    if (!spec.containers.some((c) => c.name === name)) throw new Error(`no container ${name} in the pod`);
  }
  return {
    ...spec,
    serviceAccountName: ADDON_SERVICE_ACCOUNTS[identity.addon],
    containers: spec.containers.map((c) => (containers.includes(c.name) ? withWebIdentity(c, identity) : c)),
    volumes: [...(spec.volumes ?? []), webIdentityVolume()],
  };
}
