import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { LAUNCH_TEMPLATE_DEFAULTS, UBUNTU_AMI } from "../tuning";

/** What a node's launch template needs; everything security-relevant is fixed by the builder. */
export interface HardenedLaunchTemplateArgs {
  /** AMI id (see `ami.ts`). */
  imageId: pulumi.Input<string>;
  /** Instance type; pools that use mixed instances override it in the ASG. */
  instanceType?: pulumi.Input<string>;
  /** Name of the IAM instance profile of the node's role. */
  instanceProfileName: pulumi.Input<string>;
  /** Security groups of the node's primary network interface. */
  securityGroupIds: pulumi.Input<string>[];
  /** User-data, already base64-encoded (cloud-config text or a gzip of it). */
  userDataBase64: pulumi.Input<string>;
  /** Root volume size in GiB. */
  rootVolumeGiB: pulumi.Input<number>;
  /** Root device name of the AMI; Ubuntu's by default. */
  rootDeviceName?: pulumi.Input<string>;
  /** IMDSv2 hop limit: 1 (default) keeps pods off IMDS entirely, 2 allows one bridge hop. Max 2. */
  metadataHopLimit?: 1 | 2;
  /** ARN of the KMS key that encrypts the root volume (the AWS-managed EBS key, `ebsKeyArn`). */
  ebsKmsKeyArn: pulumi.Input<string>;
  /** Tags on the template and, through tag specifications, on the instance and its network interfaces. */
  tags: Record<string, pulumi.Input<string>>;
  /**
   * Tags on the root volume (the only volume a launch creates; an etcd volume is its own
   * resource). Absent: `tags`.
   */
  rootVolumeTags?: Record<string, pulumi.Input<string>>;
  /**
   * Tags added on the instance only (its tag specification, not the template, volume or network
   * interfaces), e.g. the master's node-spec fingerprint and Kubernetes version the roll gate reads.
   */
  instanceTags?: Record<string, pulumi.Input<string>>;
}

/**
 * The hardening every node shares, as plain launch-template args so tests and the node group
 * builder can reuse it: IMDSv2 required, instance tags kept out of IMDS (nothing reads them
 * there, and they would expose cluster layout to every pod allowed a metadata hop), no SSH
 * key pair (access is SSM Session Manager), root volume encrypted with the AWS-managed EBS
 * key named explicitly (usable by the Auto Scaling service role without a key-policy grant,
 * see `EBS_KEY_ALIAS`), IMDS hop limit 1 unless a caller documents a need for 2.
 */
export function hardenedLaunchTemplateArgs(args: HardenedLaunchTemplateArgs): aws.ec2.LaunchTemplateArgs {
  const hopLimit = args.metadataHopLimit ?? LAUNCH_TEMPLATE_DEFAULTS.metadataHopLimit;
  if (hopLimit < 1 || hopLimit > 2) throw new Error(`metadataHopLimit must be 1 or 2, got ${hopLimit}`);
  return {
    imageId: args.imageId,
    instanceType: args.instanceType,
    iamInstanceProfile: { name: args.instanceProfileName },
    vpcSecurityGroupIds: args.securityGroupIds,
    userData: args.userDataBase64,
    metadataOptions: {
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: hopLimit,
      instanceMetadataTags: "disabled",
    },
    blockDeviceMappings: [
      {
        deviceName: args.rootDeviceName ?? UBUNTU_AMI.rootDeviceName,
        ebs: {
          volumeSize: args.rootVolumeGiB,
          volumeType: LAUNCH_TEMPLATE_DEFAULTS.rootVolumeType,
          encrypted: "true",
          kmsKeyId: args.ebsKmsKeyArn,
          deleteOnTermination: "true",
        },
      },
    ],
    monitoring: { enabled: true },
    // The ASG references an explicit version; new versions apply to the next launch only.
    updateDefaultVersion: true,
    tagSpecifications: [
      { resourceType: "instance", tags: { ...args.tags, ...args.instanceTags } },
      { resourceType: "volume", tags: args.rootVolumeTags ?? args.tags },
      { resourceType: "network-interface", tags: args.tags },
    ],
    tags: args.tags,
  };
}

/** Creates a hardened launch template (see `hardenedLaunchTemplateArgs`). */
export function createHardenedLaunchTemplate(
  name: string,
  args: HardenedLaunchTemplateArgs,
  opts: pulumi.CustomResourceOptions,
): aws.ec2.LaunchTemplate {
  return new aws.ec2.LaunchTemplate(name, hardenedLaunchTemplateArgs(args), opts);
}
