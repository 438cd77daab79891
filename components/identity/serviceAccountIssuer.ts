import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { WEB_IDENTITY_AUDIENCE } from "../../base/addons";
import { type BucketPolicyDocument, bucketNamePrefix, denyInsecureTransport } from "../clusterBucketPolicy";
import { JWKS_PATH, jwksFromPublicKeyPem, OPENID_CONFIGURATION_PATH, openIdConfiguration } from "./jwks";

/** The S3 keys of the two discovery documents: the kube-apiserver paths without the leading `/`. */
export const ISSUER_DOCUMENT_KEYS = {
  openIdConfiguration: OPENID_CONFIGURATION_PATH.slice(1),
  jwks: JWKS_PATH.slice(1),
} as const;

/**
 * `k8sha-sa-<cluster>-`, within the provider's bucket-prefix limit (see `bucketNamePrefix`).
 * It starts with `k8sha-` on purpose: kubeadm before kubernetes/kubernetes#135400 (fixed in the
 * newest 1.32-1.35 patches) sorts repeated extraArgs by value, and kube-apiserver signs with the
 * FIRST `--service-account-issuer`. `https://k8sha-...` sorts before kubeadm's default
 * `https://kubernetes.default.svc.cluster.local` ('8' < 'u'), so the new issuer signs either way.
 */
export function issuerBucketNamePrefix(clusterName: string): string {
  // The virtual-hosted URL is covered by S3's `*.s3.<region>.<suffix>` certificate only when
  // the bucket name is one DNS label: a dot would make STS's TLS check of the JWKS fail.
  if (clusterName.includes(".")) {
    throw new Error(
      `cluster name '${clusterName}' contains '.', which the issuer bucket's https URL cannot carry`,
    );
  }
  return bucketNamePrefix(`k8sha-sa-${clusterName}`, "-");
}

/** `<bucket>.s3.<region>.amazonaws.com` (`.com.cn` in the China regions): S3's virtual-hosted regional host. */
export function issuerHostFor(bucketName: string, region: string): string {
  const dnsSuffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return `${bucketName}.s3.${region}.${dnsSuffix}`;
}

/**
 * The bucket policy: anyone may GET exactly the two discovery documents (STS fetches them
 * unauthenticated), nothing else is granted, and every request without TLS is refused.
 */
export function issuerBucketPolicy(bucketArn: string): BucketPolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      denyInsecureTransport(bucketArn),
      {
        Sid: "PublicReadIssuerDiscovery",
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: [
          `${bucketArn}/${ISSUER_DOCUMENT_KEYS.openIdConfiguration}`,
          `${bucketArn}/${ISSUER_DOCUMENT_KEYS.jwks}`,
        ],
      },
    ],
  };
}

export interface ServiceAccountIssuerArgs {
  /** Cluster name: the bucket name prefix (no `.` allowed, see `issuerBucketNamePrefix`). */
  clusterName: string;
  /** The service-account verification key (ClusterPki.serviceAccountPublicKeyPem), RSA. */
  serviceAccountPublicKeyPem: pulumi.Input<string>;
  /** The bucket's region: part of the issuer URL. */
  region: string;
  /** Tags on the bucket and the OIDC provider. */
  tags?: Record<string, pulumi.Input<string>>;
}

/**
 * The cluster's service-account issuer made discoverable for AWS STS without EKS (what kops
 * calls serviceAccountIssuerDiscovery): the OIDC discovery document and the JWKS, computed
 * from the Pulumi-generated SA key, published in a dedicated public-read S3 bucket (not the
 * cluster bucket, which holds etcd snapshots), and an IAM OIDC provider that trusts that
 * issuer for the audience sts.amazonaws.com. The masters must sign tokens with `issuerUrl` as
 * `iss` (`--service-account-issuer`, first) and advertise `jwksUri` (`--service-account-jwks-uri`).
 *
 * The bucket policy is public: the account's S3 Block Public Access settings must not block
 * public bucket policies (BlockPublicPolicy / RestrictPublicBuckets), or AWS refuses the
 * policy (or ignores it) and STS cannot read the keys. ACLs stay blocked and disabled.
 */
export class ServiceAccountIssuer extends pulumi.ComponentResource {
  /** `https://<bucket>.s3.<region>.amazonaws.com`: the `iss` of the tokens and the provider URL. */
  public readonly issuerUrl: pulumi.Output<string>;
  /** `<issuerUrl>/openid/v1/jwks`. */
  public readonly jwksUri: pulumi.Output<string>;
  /** `issuerUrl` without `https://`: IAM's condition-key prefix (`<host>:sub`, `<host>:aud`). */
  public readonly issuerHost: pulumi.Output<string>;
  /** The IAM OIDC provider every add-on role trusts; resolves once the documents are published. */
  public readonly oidcProviderArn: pulumi.Output<string>;
  public readonly bucketName: pulumi.Output<string>;

  constructor(name: string, args: ServiceAccountIssuerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:identity:ServiceAccountIssuer", name, {}, opts);
    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      {
        bucketPrefix: issuerBucketNamePrefix(args.clusterName),
        tags: { ...args.tags, Name: `${args.clusterName}-sa-issuer` },
      },
      { parent: this },
    );
    const bucketId = bucket.id;
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucketId, rule: { objectOwnership: "BucketOwnerEnforced" } },
      { parent: this },
    );
    // Public through the bucket policy only: no ACL can make anything else public.
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket: bucketId,
        blockPublicAcls: true,
        ignorePublicAcls: true,
        blockPublicPolicy: false,
        restrictPublicBuckets: false,
      },
      { parent: this },
    );
    // SSE-S3, not KMS: anonymous readers (STS) cannot be granted kms:Decrypt.
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket: bucketId, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      { parent: this },
    );
    // After the public access block: S3 checks a new policy against it.
    const policy = new aws.s3.BucketPolicy(
      `${name}-public-read`,
      { bucket: bucketId, policy: bucket.arn.apply((arn) => JSON.stringify(issuerBucketPolicy(arn))) },
      { parent: this, dependsOn: [publicAccess] },
    );

    this.bucketName = bucket.bucket;
    this.issuerHost = bucket.bucket.apply((b) => issuerHostFor(b, args.region));
    this.issuerUrl = pulumi.interpolate`https://${this.issuerHost}`;
    this.jwksUri = pulumi.interpolate`${this.issuerUrl}${JWKS_PATH}`;

    const document = (suffix: string, key: string, content: pulumi.Input<string>) =>
      new aws.s3.BucketObjectv2(
        `${name}-${suffix}`,
        { bucket: bucketId, key, content, contentType: "application/json", serverSideEncryption: "AES256" },
        { parent: this },
      );
    const discovery = document(
      "openid-configuration",
      ISSUER_DOCUMENT_KEYS.openIdConfiguration,
      pulumi
        .all([this.issuerUrl, this.jwksUri])
        .apply(([issuer, jwks]) => JSON.stringify(openIdConfiguration(issuer, jwks))),
    );
    const keys = document(
      "jwks",
      ISSUER_DOCUMENT_KEYS.jwks,
      pulumi
        .output(args.serviceAccountPublicKeyPem)
        .apply((pem) => JSON.stringify(jwksFromPublicKeyPem(pem))),
    );

    // No thumbprintList: for an S3-hosted JWKS, IAM verifies the TLS certificate against its own
    // trusted root CAs and ignores thumbprints (@pulumi/aws iam/openIdConnectProvider.d.ts, and
    // the IAM API reference of CreateOpenIDConnectProvider); the argument is optional in this
    // provider version. Created after the documents so the issuer answers when IAM first looks.
    const provider = new aws.iam.OpenIdConnectProvider(
      `${name}-oidc`,
      { url: this.issuerUrl, clientIdLists: [WEB_IDENTITY_AUDIENCE], tags: args.tags },
      { parent: this, dependsOn: [discovery, keys, policy] },
    );
    this.oidcProviderArn = provider.arn;

    this.registerOutputs({
      issuerUrl: this.issuerUrl,
      jwksUri: this.jwksUri,
      issuerHost: this.issuerHost,
      oidcProviderArn: this.oidcProviderArn,
      bucketName: this.bucketName,
    });
  }
}
