import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { UBUNTU_AMI } from "../tuning";

export interface NodeImageArgs {
  /** A specific AMI to use instead of the newest Canonical Ubuntu 24.04 LTS amd64 image. */
  imageId?: pulumi.Input<string>;
}

/**
 * The node image: `imageId` when given, else the newest Ubuntu 24.04 LTS amd64 (HVM, gp3
 * root) published by Canonical's own account, so a look-alike image from another owner can
 * never match. The lookup runs at every `pulumi up`: a new Canonical release changes the
 * launch templates, which only affects instances launched afterwards (docs/control-plane.md).
 * Pin `imageId` to freeze it.
 */
export function nodeImageId(args: NodeImageArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<string> {
  if (args.imageId !== undefined) return pulumi.output(args.imageId);
  return aws.ec2
    .getAmiOutput(
      {
        owners: [UBUNTU_AMI.owner],
        mostRecent: true,
        filters: [
          { name: "name", values: [UBUNTU_AMI.namePattern] },
          { name: "architecture", values: ["x86_64"] },
          { name: "virtualization-type", values: ["hvm"] },
          { name: "root-device-type", values: ["ebs"] },
        ],
      },
      opts,
    )
    .apply((ami) => ami.id);
}
