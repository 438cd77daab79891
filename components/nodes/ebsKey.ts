import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { EBS_KEY_ALIAS } from "../tuning";

/**
 * The key ARN of the region's AWS-managed EBS key (`alias/aws/ebs`), named on every volume the
 * cluster creates so the account's EBS default key never decides (see `EBS_KEY_ALIAS`). The
 * key ARN, not the alias: EC2 Auto Scaling resolves a launch template's `KmsKeyId` as a key.
 * AWS creates the managed key the first time it is used in a region; DescribeKey on its alias
 * returns it either way.
 */
export function ebsKeyArn(opts: pulumi.InvokeOutputOptions): pulumi.Output<string> {
  return aws.kms.getKeyOutput({ keyId: EBS_KEY_ALIAS }, opts).arn;
}
