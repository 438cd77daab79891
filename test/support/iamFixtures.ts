/**
 * The node policies the IAM evaluator tests share: a master of member 0 and the worker role of
 * cluster "demo", the ARNs they are judged against, and the request contexts EC2, SSM and KMS
 * present.
 */
import { masterPolicyDocument, workerPolicyDocument } from "../../components/iam/policies";
import type { PolicyDocument } from "../../components/iam/policyDocument";

export const scope = { region: "eu-west-1", accountId: "123456789012" };
export const prefix = "/k8sha/demo";
export const kmsKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/k1";
export const volumeA = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-aaaa";
export const volumeB = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-bbbb";
export const instance = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123";
export const param = (path: string) => `arn:aws:ssm:eu-west-1:123456789012:parameter${prefix}/${path}`;
export const bucketArn = "arn:aws:s3:::demo-backups";
export const bootBundle = { bucketArn, prefix: "demo/boot/" };

export const master = masterPolicyDocument({
  ...scope,
  clusterName: "demo",
  etcdVolumeArn: volumeA,
  stableAddress: { subnetId: "subnet-0a", member: "0" },
  ssmPrefix: prefix,
  kmsKeyArn,
  backup: { bucketArn, prefix: "/etcd/demo" },
  bootBundle,
});
export const worker = workerPolicyDocument({
  ...scope,
  clusterName: "demo",
  ssmPrefix: prefix,
  kmsKeyArn,
  bootBundle,
});
/**
 * What AmazonSSMManagedInstanceCore grants on parameters. The roles no longer carry it; the
 * tests add it to prove the fence holds even if someone attaches it by hand.
 */
export const ssmManagedCore: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    { Sid: "Core", Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: "*" },
  ],
};
export const ours = { "aws:ResourceTag/k8sha.io/cluster": "demo" };
export const viaSsm = (path: string) => ({
  "kms:ViaService": "ssm.eu-west-1.amazonaws.com",
  "kms:EncryptionContext:PARAMETER_ARN": param(path),
});

/** Instance tags as EC2 presents them to IAM for a master of member `member` or a worker. */
export const masterTags = (member: string, cluster = "demo") => ({
  "aws:ResourceTag/k8sha.io/cluster": cluster,
  "aws:ResourceTag/k8sha.io/role": "master",
  "aws:ResourceTag/k8sha.io/etcd-member": member,
});
export const workerTags = {
  "aws:ResourceTag/k8sha.io/cluster": "demo",
  "aws:ResourceTag/k8sha.io/role": "worker",
};

/** A tag map as the condition context a service presents (`aws:ResourceTag`, `aws:RequestTag`, `autoscaling:ResourceTag`). */
export const tagContext = (prefix: string, tags: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(tags).map(([key, value]) => [`${prefix}/${key}`, value]));

/** The add-on policies of cluster "demo" (components/iam/addonPolicies). */
export const addonScope = { ...scope, clusterName: "demo" };
/** The cluster's EBS key, the CSI driver's only KMS key. */
export const ebsKmsKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/ebs-1";
export const clusterVpcId = "vpc-0demo";
