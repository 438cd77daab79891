/**
 * The EBS CSI controller's permissions: the AWS managed policy, tightened to this cluster.
 *
 * Source: kubernetes-sigs/aws-ebs-csi-driver docs/AmazonEBSCSIDriverPolicyV2.json (the
 * AmazonEBSCSIDriverPolicyV2 managed policy, which docs/example-iam-policy.json and
 * docs/install.md point to) and docs/AmazonEBSCSIDriverEKSClusterScopedPolicy.json (its
 * cluster-scoped variant). The managed policy lets the driver attach ANY volume that carries
 * `ebs.csi.aws.com/cluster=true` to ANY instance; here every volume, snapshot and instance must
 * also carry `k8sha.io/cluster=<cluster>`, which the driver writes on everything it creates
 * when given `--extra-tags` (pkg/driver/controller.go copies ExtraTags onto volumes and
 * snapshots). The etcd volumes never carry the driver's tag, and carry the node role tag the
 * driver never writes, so they are out of reach twice over.
 * Left out: CopyVolumes, EnableFastSnapshotRestores and LockSnapshot (features the cluster's
 * storage class does not use) and DescribeTags (gone from the V2 policy).
 *
 * KMS: the driver names the key in CreateVolume and EC2 uses it with the caller's
 * credentials. Amazon EBS user guide, "Requirements for Amazon EBS encryption": kms:CreateGrant
 * (with kms:GrantIsForAWSResource), Decrypt, DescribeKey, GenerateDataKeyWithoutPlaintext,
 * ReEncrypt; docs/install.md of the driver lists Decrypt, GenerateDataKeyWithoutPlaintext and
 * CreateGrant. Only on the cluster's EBS key and only through EC2 in the cluster's region. With
 * the AWS-managed `aws/ebs` key the key policy already allows this to every principal of the
 * account through EC2; the statements matter when the key is a customer key.
 */
import { EBS_CSI_VOLUME_TAG } from "../../../base/addons";
import { TAG_CLUSTER, TAG_ROLE } from "../../../base/tags";
import { ec2Arn, ec2InstancesArn, type PolicyDocument, type PolicyStatement } from "../policyDocument";
import { type AddonPolicyScope, partitionOf, tagConditions } from "./scope";

export interface EbsCsiDriverPolicyArgs extends AddonPolicyScope {
  /** ARN of the key every cluster volume is encrypted with (`ebsKeyArn`, components/nodes/ebsKey.ts). */
  ebsKmsKeyArn: string;
}

/** The driver's own tag (value "true", pkg/cloud/cloud.go AwsEbsDriverTagKey) and the cluster's. */
export function csiVolumeTags(clusterName: string): Record<string, string> {
  return { [EBS_CSI_VOLUME_TAG]: "true", [TAG_CLUSTER]: clusterName };
}

/**
 * Tag keys the driver may never add to or remove from its own volumes: the ones these
 * conditions (and the node policies) match on, and the driver's and Kubernetes' own.
 */
export const PROTECTED_TAG_PATTERNS = [
  "ebs.csi.aws.com/*",
  "k8sha.io/*",
  "kubernetes.io/*",
  "KubernetesCluster",
];

export const EBS_CSI_DESCRIBE_ACTIONS = [
  "ec2:DescribeAvailabilityZones",
  "ec2:DescribeInstances",
  "ec2:DescribeInstanceTypes",
  "ec2:DescribeSnapshots",
  "ec2:DescribeVolumes",
  "ec2:DescribeVolumesModifications",
  "ec2:DescribeVolumeStatus",
] as const;

/** KMS calls EC2 makes with the caller's credentials for an encrypted volume (besides CreateGrant). */
export const EBS_KMS_ACTIONS = [
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
] as const;

export function ebsCsiDriverPolicy(args: EbsCsiDriverPolicyArgs): PolicyDocument {
  const volumes = ec2Arn(args, "volume/*");
  // Snapshot ARNs have no account field: arn:<partition>:ec2:<region>::snapshot/<id>.
  const snapshots = `arn:${partitionOf(args)}:ec2:${args.region}::snapshot/*`;
  const ownTags = csiVolumeTags(args.clusterName);
  // Node-owned volumes (etcd and root volumes, from nodeTags) carry the role tag, the driver's
  // never do: even a user tag that happened to equal the driver's own leaves them out of reach.
  const notNodeOwned = { [`aws:ResourceTag/${TAG_ROLE}`]: "true" };
  const ownResource = { StringEquals: tagConditions("aws:ResourceTag", ownTags), Null: notNodeOwned };
  const ownRequest = { StringEquals: tagConditions("aws:RequestTag", ownTags) };
  const viaEc2 = { "kms:ViaService": `ec2.${args.region}.amazonaws.com` };
  const statements: PolicyStatement[] = [
    {
      // Describe* has no resource-level permissions in EC2: "*".
      Sid: "DescribeVolumesSnapshotsInstances",
      Effect: "Allow",
      Action: [...EBS_CSI_DESCRIBE_ACTIONS],
      Resource: "*",
    },
    {
      // Tags are given in the call (TagSpecifications), so the request must name both.
      Sid: "CreateClusterVolumes",
      Effect: "Allow",
      Action: ["ec2:CreateVolume"],
      Resource: [volumes],
      Condition: ownRequest,
    },
    {
      // The snapshot side of CreateVolume when restoring one.
      Sid: "CreateVolumesFromClusterSnapshots",
      Effect: "Allow",
      Action: ["ec2:CreateVolume"],
      Resource: [snapshots],
      Condition: ownResource,
    },
    {
      Sid: "ManageClusterVolumes",
      Effect: "Allow",
      Action: [
        "ec2:AttachVolume",
        "ec2:DetachVolume",
        "ec2:ModifyVolume",
        "ec2:DeleteVolume",
        "ec2:CreateSnapshot",
      ],
      Resource: [volumes],
      Condition: ownResource,
    },
    {
      // Attach/detach are also authorised on the instance: only this cluster's nodes.
      Sid: "AttachToClusterInstances",
      Effect: "Allow",
      Action: ["ec2:AttachVolume", "ec2:DetachVolume"],
      Resource: [ec2InstancesArn(args)],
      Condition: { StringEquals: { [`aws:ResourceTag/${TAG_CLUSTER}`]: args.clusterName } },
    },
    {
      Sid: "CreateClusterSnapshots",
      Effect: "Allow",
      Action: ["ec2:CreateSnapshot"],
      Resource: [snapshots],
      Condition: ownRequest,
    },
    {
      Sid: "DeleteClusterSnapshots",
      Effect: "Allow",
      Action: ["ec2:DeleteSnapshot"],
      Resource: [snapshots],
      Condition: ownResource,
    },
    {
      // Tagging as part of the creates above, which already require the request tags.
      Sid: "TagOnCreate",
      Effect: "Allow",
      Action: ["ec2:CreateTags"],
      Resource: [volumes, snapshots],
      Condition: {
        StringEquals: {
          "ec2:CreateAction": ["CreateVolume", "CreateSnapshot"],
          ...tagConditions("aws:RequestTag", ownTags),
        },
      },
    },
    {
      // Volume modification may change user tags of its own volumes, never a protected key:
      // a volume cannot be made to look like another cluster's, an etcd member's or unmanaged.
      Sid: "ModifyTagsOfClusterVolumes",
      Effect: "Allow",
      Action: ["ec2:CreateTags", "ec2:DeleteTags"],
      Resource: [volumes],
      Condition: {
        ...ownResource,
        Null: { ...notNodeOwned, "aws:TagKeys": "false" },
        "ForAllValues:StringNotLike": { "aws:TagKeys": PROTECTED_TAG_PATTERNS },
      },
    },
    {
      Sid: "UseEbsKeyThroughEc2",
      Effect: "Allow",
      Action: [...EBS_KMS_ACTIONS],
      Resource: [args.ebsKmsKeyArn],
      Condition: { StringEquals: viaEc2 },
    },
    {
      // Grants only for an AWS resource (the volume), as the EBS guide recommends.
      Sid: "GrantEbsKeyToEc2",
      Effect: "Allow",
      Action: ["kms:CreateGrant"],
      Resource: [args.ebsKmsKeyArn],
      Condition: { StringEquals: viaEc2, Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
  ];
  return { Version: "2012-10-17", Statement: statements };
}
