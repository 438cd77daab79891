import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ec2TrustPolicy, type PolicyDocument } from "./policyDocument";

export interface NodeRoleArgs {
  /** The role's inline policy (masterPolicy() / workerPolicy()). */
  policy: pulumi.Input<PolicyDocument>;
  /** What the role is for, e.g. "k8sha prod master in eu-west-1a". */
  description?: pulumi.Input<string>;
  /** Tags for the role and instance profile. */
  tags?: Record<string, string>;
}

/**
 * An EC2 instance role with its instance profile: trusted by ec2.amazonaws.com only, one
 * inline least-privilege policy and nothing else. Session Manager (the only shell access, no
 * SSH keys) is a statement of that policy: the managed AmazonSSMManagedInstanceCore would also
 * allow ssm:GetParameter(s) on every parameter of the account (components/iam/nodeStatements.ts).
 */
export class NodeRole extends pulumi.ComponentResource {
  public readonly roleArn: pulumi.Output<string>;
  public readonly roleName: pulumi.Output<string>;
  /**
   * Instance profile name for launch templates. It resolves only once the inline policy
   * exists, so instances never boot with a half-permissioned role.
   */
  public readonly instanceProfileName: pulumi.Output<string>;
  /** Instance profile ARN (same readiness guarantee as the name). */
  public readonly instanceProfileArn: pulumi.Output<string>;

  constructor(name: string, args: NodeRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:iam:NodeRole", name, {}, opts);
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: JSON.stringify(ec2TrustPolicy()),
        description: args.description,
        tags: args.tags,
      },
      { parent: this },
    );
    const inline = new aws.iam.RolePolicy(
      `${name}-inline`,
      { role: role.id, policy: pulumi.output(args.policy).apply((doc) => JSON.stringify(doc)) },
      { parent: this },
    );
    const profile = new aws.iam.InstanceProfile(
      `${name}-profile`,
      { role: role.name, tags: args.tags },
      { parent: this },
    );

    const whenReady = <T>(value: pulumi.Output<T>) => pulumi.all([value, inline.id]).apply(([v]) => v);
    this.roleArn = role.arn;
    this.roleName = role.name;
    this.instanceProfileName = whenReady(profile.name);
    this.instanceProfileArn = whenReady(profile.arn);
    this.registerOutputs({
      roleArn: this.roleArn,
      instanceProfileName: this.instanceProfileName,
      instanceProfileArn: this.instanceProfileArn,
    });
  }
}
