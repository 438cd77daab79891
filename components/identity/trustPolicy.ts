/**
 * The trust policy of an add-on role: only the add-on's own service account, with a token meant
 * for STS, from this cluster's issuer. Pure (strings in, document out) so the IAM evaluator
 * tests can read it without Pulumi.
 */
import { WEB_IDENTITY_AUDIENCE } from "../../base/addons";

export interface WebIdentityStatement {
  Sid: string;
  Effect: "Allow";
  Principal: { Federated: string };
  Action: "sts:AssumeRoleWithWebIdentity";
  Condition: { StringEquals: Record<string, string> };
}

export interface WebIdentityTrustPolicyDocument {
  Version: "2012-10-17";
  Statement: WebIdentityStatement[];
}

/**
 * Allow `sts:AssumeRoleWithWebIdentity` to tokens validated by the IAM OIDC provider
 * `providerArn` whose `sub` is exactly `subject` and whose `aud` is exactly
 * {@link WEB_IDENTITY_AUDIENCE}. IAM exposes a token's claims as condition keys named after
 * the provider URL without its scheme (`<host>:sub`, `<host>:aud`), so `issuerHost` is that:
 * `https://` must not be part of it. Without the `sub` condition every service account of the
 * cluster (any pod that can mount a projected token) could assume the role.
 */
export function webIdentityTrustPolicy(
  providerArn: string,
  issuerHost: string,
  subject: string,
): WebIdentityTrustPolicyDocument {
  if (/^[a-z]+:\/\//i.test(issuerHost) || issuerHost.endsWith("/") || issuerHost === "") {
    throw new Error(
      `issuer host must be the issuer URL without scheme or trailing slash, got '${issuerHost}'`,
    );
  }
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AssumeFromAddonServiceAccount",
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${issuerHost}:sub`]: subject,
            [`${issuerHost}:aud`]: WEB_IDENTITY_AUDIENCE,
          },
        },
      },
    ],
  };
}
