import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AddonWithRole, serviceAccountSubject } from "../../base/addons";
import { webIdentityTrustPolicy } from "./trustPolicy";

/**
 * Longest `namePrefix` the provider accepts for a role: IAM role names are at most 64
 * characters and the provider appends a 26-character unique suffix (terraform-provider-aws
 * internal/service/iam/role.go: `roleNamePrefixMaxLen = roleNameMaxLen - id.UniqueIDSuffixLength`).
 */
export const ROLE_NAME_PREFIX_MAX_LENGTH = 38;

/** Short role-name parts, so the cluster name keeps most of the prefix. */
const ADDON_ROLE_NAMES: Record<AddonWithRole, string> = {
  cloudControllerManager: "ccm",
  ebsCsiDriver: "ebs-csi",
  clusterAutoscaler: "autoscaler",
};

/**
 * `<cluster>-<addon>-`, the cluster name cut just enough to fit
 * {@link ROLE_NAME_PREFIX_MAX_LENGTH}; a name that fits is kept as it is (a changed prefix
 * replaces the role, and with it the ARN the add-on's manifest names).
 */
export function addonRoleNamePrefix(clusterName: string, addon: AddonWithRole): string {
  const suffix = `-${ADDON_ROLE_NAMES[addon]}-`;
  const room = ROLE_NAME_PREFIX_MAX_LENGTH - suffix.length;
  return `${clusterName.slice(0, room).replace(/-+$/, "")}${suffix}`;
}

export interface AddonRoleArgs {
  /** Cluster name: the role's name prefix and description. */
  clusterName: string;
  /** The add-on; its service account (base/addons.ts) is the only subject the role trusts. */
  addon: AddonWithRole;
  /** ARN of the cluster's IAM OIDC provider (ServiceAccountIssuer.oidcProviderArn). */
  oidcProviderArn: pulumi.Input<string>;
  /** The issuer URL without `https://` (ServiceAccountIssuer.issuerHost): the condition-key prefix. */
  issuerHost: pulumi.Input<string>;
  /** The add-on's least-privilege permissions, an IAM policy document as JSON. */
  policy: pulumi.Input<string>;
  /** Tags on the role. */
  tags?: Record<string, pulumi.Input<string>>;
}

/**
 * The IAM role of one AWS add-on: assumable only with a projected token of that add-on's
 * service account in `kube-system` (web identity, audience sts.amazonaws.com), with one inline
 * policy and nothing else. The add-on gets its own identity instead of borrowing the master
 * instance role, which may also attach etcd volumes and read the cluster's secrets.
 */
export class AddonRole extends pulumi.ComponentResource {
  /** The role's ARN (AWS_ROLE_ARN of the add-on's pods); resolves only once the inline policy exists. */
  public readonly roleArn: pulumi.Output<string>;
  public readonly roleName: pulumi.Output<string>;

  constructor(name: string, args: AddonRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:identity:AddonRole", name, {}, opts);
    const subject = serviceAccountSubject(args.addon);
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        namePrefix: addonRoleNamePrefix(args.clusterName, args.addon),
        description: `k8sha ${args.clusterName} add-on ${args.addon} (${subject})`,
        assumeRolePolicy: pulumi
          .all([args.oidcProviderArn, args.issuerHost])
          .apply(([arn, host]) => JSON.stringify(webIdentityTrustPolicy(arn, host, subject))),
        tags: args.tags,
      },
      { parent: this },
    );
    const inline = new aws.iam.RolePolicy(
      `${name}-inline`,
      { role: role.id, policy: args.policy },
      { parent: this },
    );
    // A pod that assumes the role before its policy exists fails its first AWS calls.
    this.roleArn = pulumi.all([role.arn, inline.id]).apply(([arn]) => arn);
    this.roleName = role.name;
    this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
  }
}
