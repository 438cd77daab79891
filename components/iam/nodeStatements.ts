/**
 * Statements every node role shares: boot bundle, boot-status tag, the failed boot's report
 * (metric and log tail), Session Manager, the parameter fence.
 */
import { addonsManifestPrefix } from "../../base/addons";
import { type BootFailureRole, bootLogPrefix } from "../../base/healthMetrics";
import { METRICS_NAMESPACE } from "../../base/metrics";
import { TAG_BOOT_STATUS, TAG_CLUSTER } from "../../base/tags";
import { type AccountScope, type PolicyStatement, ssmParameterArn } from "./policyDocument";

/** Where the node's boot bundles live (components/bootBundle.ts). */
export interface BootBundleLocation {
  /** `arn:aws:s3:::<bucket>` */
  bucketArn: string;
  /** Key prefix of the cluster's bundles, `<cluster>/boot/`. */
  prefix: string;
}

/** Normalises an S3 key prefix to `a/b/` (no leading slash, one trailing slash). */
export function normaliseS3Prefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "").replace(/\/+$/, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

export const clusterTagCondition = (clusterName: string) => ({
  StringEquals: { [`aws:ResourceTag/${TAG_CLUSTER}`]: clusterName },
});

/**
 * GetObject on the bundle prefix only: no listing, no writes, and nothing else in the bucket
 * (workers must not read etcd snapshots). Bundles are SSE-S3, so no KMS permission is needed.
 */
export function bootBundleStatement(location: BootBundleLocation): PolicyStatement {
  return {
    Sid: "ReadBootBundle",
    Effect: "Allow",
    Action: ["s3:GetObject"],
    Resource: [`${location.bucketArn}/${normaliseS3Prefix(location.prefix)}*`],
  };
}

/**
 * Masters only: GetObject on the add-on manifests `<cluster>/addons/*` of the cluster bucket,
 * which the etcd leader's add-on timer (cloud-init/lib/addons.sh) applies. Like the boot
 * bundles the objects are SSE-S3, so no KMS permission; the pointer parameter
 * (`addonsParameterName`) lies under the cluster's SSM prefix, which masters already read.
 */
export function addonManifestStatement(bucketArn: string, clusterName: string): PolicyStatement {
  return {
    Sid: "ReadAddonManifests",
    Effect: "Allow",
    Action: ["s3:GetObject"],
    Resource: [`${bucketArn}/${normaliseS3Prefix(addonsManifestPrefix(clusterName))}*`],
  };
}

/**
 * Every node reports its boot outcome as the tag `k8sha.io/boot-status` on itself: only that
 * tag key, only on instances of this cluster that carry the caller's own identity tags (a
 * worker: role worker; a master: role master and its etcd member, i.e. itself or its
 * predecessor). No condition pins the caller's very instance: `ec2:SourceInstanceARN` describes
 * the caller, not the tagged resource, and `aws:ARN` is not a condition key EC2 supports.
 */
export function tagBootStatusStatement(
  clusterName: string,
  instances: string,
  identity: Record<string, string>,
): PolicyStatement {
  return {
    Sid: "TagBootStatus",
    Effect: "Allow",
    Action: ["ec2:CreateTags"],
    Resource: [instances],
    Condition: {
      StringEquals: { ...clusterTagCondition(clusterName).StringEquals, ...identity },
      "ForAllValues:StringEquals": { "aws:TagKeys": [TAG_BOOT_STATUS] },
    },
  };
}

/**
 * PutMetricData in the project's namespace only (node health and backup metrics on masters,
 * BootFailed on every node). PutMetricData has no resource-level permissions, so `*` with the
 * `cloudwatch:namespace` condition as the scope (CloudWatch "Using condition keys to limit
 * access to CloudWatch namespaces").
 */
export function putNodeMetricsStatement(): PolicyStatement {
  return {
    Sid: "PutNodeMetrics",
    Effect: "Allow",
    Action: ["cloudwatch:PutMetricData"],
    Resource: "*",
    Condition: { StringEquals: { "cloudwatch:namespace": METRICS_NAMESPACE } },
  };
}

/**
 * A failed boot uploads its log tail to `<cluster>/boot-logs/<role>/<instance-id>.log` in the
 * cluster bucket (cloud-init/lib/report.sh): PutObject under its OWN role's prefix only, nothing
 * to read, list or delete there. Only SSE-S3 uploads: the bucket's default may be SSE-KMS under
 * the cluster key (components/clusterBucket.ts), which would need kms:GenerateDataKey that a
 * worker has not; an explicit `x-amz-server-side-encryption: AES256` overrides the default
 * (S3 applies default encryption only to a PUT that names none) and needs no KMS permission.
 */
export function bootLogStatement(
  bucketArn: string,
  clusterName: string,
  role: BootFailureRole,
): PolicyStatement {
  return {
    Sid: "PutBootLog",
    Effect: "Allow",
    Action: ["s3:PutObject"],
    Resource: [`${bucketArn}/${bootLogPrefix(clusterName, role)}*`],
    Condition: { StringEquals: { "s3:x-amz-server-side-encryption": "AES256" } },
  };
}

/**
 * Session Manager, the only shell access: the agent registers (UpdateInstanceInformation) and
 * opens its channels (ssmmessages), and polls ec2messages. This replaces the managed
 * AmazonSSMManagedInstanceCore, which also allows ssm:GetParameter(s) on every parameter of
 * the account. The actions are the managed policy's Session Manager subset (AWS managed policy
 * reference; Systems Manager "Reference: ec2messages, ssmmessages"); none of them has
 * resource-level permissions, so `*` as in the managed policy.
 */
export const SESSION_MANAGER_ACTIONS = [
  "ssm:UpdateInstanceInformation",
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
  "ec2messages:AcknowledgeMessage",
  "ec2messages:DeleteMessage",
  "ec2messages:FailMessage",
  "ec2messages:GetEndpoint",
  "ec2messages:GetMessages",
  "ec2messages:SendReply",
] as const;

export function sessionManagerStatement(): PolicyStatement {
  return { Sid: "SessionManager", Effect: "Allow", Action: [...SESSION_MANAGER_ACTIONS], Resource: "*" };
}

/** Every parameter read SSM knows: the deny below names them all. */
export const PARAMETER_READ_ACTIONS = [
  "ssm:GetParameter",
  "ssm:GetParameters",
  "ssm:GetParametersByPath",
  "ssm:GetParameterHistory",
];

/**
 * Nothing outside `<prefix>/*` is readable, whatever else the role is given later (a managed
 * policy attached by hand): the AWS-managed `aws/ssm` key lets any principal of the account
 * decrypt through SSM, so reading is the only gate on other applications' SecureStrings.
 */
export function denyParametersOutsideCluster(scope: AccountScope, ssmPrefix: string): PolicyStatement {
  return {
    Sid: "DenyParametersOutsideCluster",
    Effect: "Deny",
    Action: PARAMETER_READ_ACTIONS,
    NotResource: [ssmParameterArn(scope, `${ssmPrefix}/*`)],
  };
}
