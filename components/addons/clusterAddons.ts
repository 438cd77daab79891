import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { addonManifestBundle, renderAddonManifests } from "../../addons/render";
import {
  ADDON_SERVICE_ACCOUNTS,
  type AddonManifestPointer,
  type AddonWithRole,
  AWS_ADDONS,
  type AwsAddon,
  addonsManifestPrefix,
} from "../../base/addons";
import { addonsParameterName } from "../../base/ssmPaths";
import type { AddonsConfig } from "../../config/types";
import type { AccountScope } from "../iam/policyDocument";
import { AddonRole } from "../identity/addonRole";
import type { ServiceAccountIssuer } from "../identity/serviceAccountIssuer";
import { addonPolicyDocument } from "./addonPolicy";

export interface ClusterAddonsArgs {
  /** Cluster name: tags and conditions of the add-on policies, the manifest key and the SSM path. */
  clusterName: string;
  /** Region of the cluster (plain: it goes into the manifests and the policies). */
  region: string;
  /** `1.MINOR.PATCH`: the version-matched add-ons follow it. */
  kubernetesVersion: string;
  /** The `addons` config section, validated and with defaults (config/validate-aws-addons.ts). */
  addons: AddonsConfig;
  /** The cluster's service-account issuer, which every add-on role trusts; required when one with a role is enabled. */
  issuer?: ServiceAccountIssuer;
  /** Account of the policies' ARNs. */
  accountId: pulumi.Input<string>;
  /** Partition of the policies' ARNs (default `aws`). */
  partition?: pulumi.Input<string>;
  /** The key every cluster volume is encrypted with: the CSI policy's only KMS key, the StorageClass's key. */
  ebsKmsKeyArn: pulumi.Input<string>;
  /** The cluster's VPC (the cloud controller's load-balancer security groups go there). */
  vpcId: pulumi.Input<string>;
  /** The cluster bucket, which the masters may read under `<cluster>/addons/`. */
  bucketName: pulumi.Input<string>;
  /**
   * What must be done before the pointer changes: the last master's roll gate, so a manifest
   * for a new Kubernetes minor is applied only once every API server runs it.
   */
  applyAfter: pulumi.Input<pulumi.Resource>[];
  /** Tags on the roles and the parameter. */
  tags: Record<string, string>;
}

/** `<cluster>/addons/<sha256>.yaml`: content-addressed, so a changed manifest is a new object. */
export function addonManifestKey(clusterName: string, sha256: string): string {
  return `${addonsManifestPrefix(clusterName)}${sha256}.yaml`;
}

/** The add-ons with an IAM role that are switched on, in `AWS_ADDONS` order. */
export function enabledRoleAddons(addons: AddonsConfig): AddonWithRole[] {
  return AWS_ADDONS.filter(
    (addon): addon is AddonWithRole => Object.hasOwn(ADDON_SERVICE_ACCOUNTS, addon) && addons[addon].enabled,
  );
}

/** The pointer the masters' applier reads: every add-on either applied (enabled) or removed (disabled). */
export function addonManifestPointer(
  addons: AddonsConfig,
  bucket: string,
  key: string,
  sha256: string,
): AddonManifestPointer {
  const enabled: AwsAddon[] = AWS_ADDONS.filter((addon) => addons[addon].enabled);
  const disabled: AwsAddon[] = AWS_ADDONS.filter((addon) => !addons[addon].enabled);
  return { bucket, key, sha256, enabled, disabled };
}

/**
 * The AWS add-ons of a cluster on the Pulumi side: one IAM role per enabled add-on that calls
 * AWS (web identity through the cluster's issuer, one least-privilege inline policy), the
 * rendered manifests as one content-addressed object in the cluster bucket, and the SSM
 * parameter that points the masters' applier (cloud-init/lib/addons.sh) at it. The objects
 * themselves are applied inside the cluster by the etcd leader's add-on timer, not by Pulumi:
 * a preview never needs the API server, and an add-on a user deleted comes back within a minute.
 */
export class ClusterAddons extends pulumi.ComponentResource {
  /** Role ARN per enabled add-on that has one. */
  public readonly roleArns: Partial<Record<AddonWithRole, pulumi.Output<string>>>;
  /** Hex SHA-256 of the manifest bundle (changes exactly when a manifest does). */
  public readonly manifestSha256: pulumi.Output<string>;
  /** The SSM parameter's name (`addonsParameterName`). */
  public readonly parameterName: string;

  constructor(name: string, args: ClusterAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:addons:ClusterAddons", name, {}, opts);
    const { clusterName, region, addons } = args;
    const scope = pulumi
      .all([args.accountId, args.partition])
      .apply(([accountId, partition]): AccountScope => ({ region, accountId, partition }));

    const roleArns: Partial<Record<AddonWithRole, pulumi.Output<string>>> = {};
    const withRoles = enabledRoleAddons(addons);
    if (withRoles.length > 0) {
      const issuer = args.issuer;
      if (issuer === undefined) {
        throw new Error(
          `add-ons ${withRoles.join(", ")} need IAM roles, and their roles a service-account issuer (args.issuer)`,
        );
      }
      for (const addon of withRoles) {
        const policy = pulumi
          .all([scope, args.ebsKmsKeyArn, args.vpcId])
          .apply(([s, ebsKmsKeyArn, vpcId]) =>
            JSON.stringify(addonPolicyDocument(addon, { ...s, clusterName, ebsKmsKeyArn, vpcId })),
          );
        const role = new AddonRole(
          `${name}-${addon}`,
          {
            clusterName,
            addon,
            oidcProviderArn: issuer.oidcProviderArn,
            issuerHost: issuer.issuerHost,
            policy,
            tags: args.tags,
          },
          { parent: this },
        );
        roleArns[addon] = role.roleArn;
      }
    }
    this.roleArns = roleArns;

    const roleEntries = Object.entries(roleArns) as [AddonWithRole, pulumi.Output<string>][];
    const bundle = pulumi
      .all([pulumi.all(roleEntries.map(([, arn]) => arn)), args.ebsKmsKeyArn])
      .apply(([arns, ebsKmsKeyArn]) =>
        addonManifestBundle(
          renderAddonManifests({
            clusterName,
            region,
            kubernetesVersion: args.kubernetesVersion,
            versions: Object.fromEntries(AWS_ADDONS.map((a) => [a, addons[a].version])) as Record<
              AwsAddon,
              string
            >,
            enabled: Object.fromEntries(AWS_ADDONS.map((a) => [a, addons[a].enabled])) as Record<
              AwsAddon,
              boolean
            >,
            roleArns: Object.fromEntries(roleEntries.map(([addon], i) => [addon, arns[i]])),
            ebsKmsKeyArn,
            defaultStorageClass: addons.ebsCsiDriver.defaultStorageClass,
          }),
        ),
      );
    this.manifestSha256 = bundle.sha256;

    const object = new aws.s3.BucketObjectv2(
      `${name}-manifest`,
      {
        bucket: args.bucketName,
        key: bundle.sha256.apply((sha) => addonManifestKey(clusterName, sha)),
        content: bundle.content,
        contentType: "application/yaml",
        serverSideEncryption: "AES256",
      },
      // Kept when replaced: a master whose timer read the previous pointer a moment ago still
      // finds the object it names. Manifests are small; the key says which one is current.
      { parent: this, retainOnDelete: true },
    );

    this.parameterName = addonsParameterName(clusterName);
    new aws.ssm.Parameter(
      `${name}-pointer`,
      {
        name: this.parameterName,
        description: "The add-on manifest the masters apply (k8sha add-on applier)",
        type: "String",
        // Not a secret (bucket, key, hash, names): readable in diffs.
        insecureValue: pulumi
          .all([object.bucket, object.key, bundle.sha256])
          .apply(([bucket, key, sha]) => JSON.stringify(addonManifestPointer(addons, bucket, key, sha))),
        tags: args.tags,
      },
      // A fixed name is taken until the old parameter is gone.
      { parent: this, dependsOn: [object, ...args.applyAfter], deleteBeforeReplace: true },
    );

    this.registerOutputs({ roleArns: this.roleArns, manifestSha256: this.manifestSha256 });
  }
}
