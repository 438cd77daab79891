/** Typed IAM policy documents and the ARN helpers the node policies share. */
import { AWS_DEFAULT_PARTITION } from "../../base/aws";

/** Condition block: operator -> condition key -> value(s). */
export type PolicyCondition = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
  /** Unique, descriptive id; tests and docs refer to statements by it. */
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  /**
   * `"*"` only for actions without resource-level permissions (said in the Sid's comment).
   * Absent only in a Deny that names what it spares with `NotResource`.
   */
  Resource?: string[] | "*";
  /** Deny statements only: everything except these ARNs. */
  NotResource?: string[];
  Condition?: PolicyCondition;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

export interface PrincipalStatement {
  Effect: "Allow";
  Principal: { Service: string };
  Action: "sts:AssumeRole";
}

export interface TrustPolicyDocument {
  Version: "2012-10-17";
  Statement: PrincipalStatement[];
}

/** Trust policy of an EC2 instance role. */
export function ec2TrustPolicy(): TrustPolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
  };
}

/** Where a node's policy applies: partition, region and account of the cluster. */
export interface AccountScope {
  region: string;
  accountId: string;
  /** `aws` unless GovCloud or China. */
  partition?: string;
}

export function ssmParameterArn(scope: AccountScope, path: string): string {
  return `arn:${scope.partition ?? AWS_DEFAULT_PARTITION}:ssm:${scope.region}:${scope.accountId}:parameter${path}`;
}

export function ec2InstancesArn(scope: AccountScope): string {
  return ec2Arn(scope, "instance/*");
}

export function ec2Arn(scope: AccountScope, resource: string): string {
  return `arn:${scope.partition ?? AWS_DEFAULT_PARTITION}:ec2:${scope.region}:${scope.accountId}:${resource}`;
}

/**
 * Parameter Store calls KMS with the caller's credentials, `kms:ViaService` = SSM, and the
 * parameter ARN as encryption context. One path pattern, or several exact paths for a role that
 * may read only named parameters.
 */
export function kmsDecryptViaSsm(
  sid: string,
  scope: AccountScope,
  kmsKeyArn: string,
  parameterPathPattern: string | readonly string[],
): PolicyStatement {
  const parameterArns =
    typeof parameterPathPattern === "string"
      ? ssmParameterArn(scope, parameterPathPattern)
      : parameterPathPattern.map((path) => ssmParameterArn(scope, path));
  return {
    Sid: sid,
    Effect: "Allow",
    Action: ["kms:Decrypt"],
    Resource: [kmsKeyArn],
    Condition: {
      StringEquals: { "kms:ViaService": `ssm.${scope.region}.amazonaws.com` },
      StringLike: { "kms:EncryptionContext:PARAMETER_ARN": parameterArns },
    },
  };
}
