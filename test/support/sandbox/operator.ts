/**
 * The operator's machine of a sandbox cluster, where `pulumi up` runs the gates: the real AWS
 * CLI sent to the fake endpoints and credentials s3rver accepts.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The operator's environment: a wrapper (`dir`/operator/aws) adds --endpoint-url per service,
 * as AWS_ENDPOINT_URL_<SERVICE> would with CLI v2: `s3Endpoint` for S3, `awsEndpoint` for the rest.
 */
export function operatorEnv(dir: string, s3Endpoint: string, awsEndpoint: string): Record<string, string> {
  const wrapper = join(dir, "operator", "aws");
  mkdirSync(dirname(wrapper), { recursive: true });
  writeFileSync(
    wrapper,
    [
      "#!/usr/bin/env bash",
      "endpoint=()",
      'for a in "$@"; do',
      '  case "$a" in',
      `    s3 | s3api) endpoint=(--endpoint-url '${s3Endpoint}'); break ;;`,
      `    ec2 | ssm | autoscaling | elbv2 | cloudwatch) endpoint=(--endpoint-url '${awsEndpoint}'); break ;;`,
      "  esac",
      "done",
      // Debian's CLI, as on the nodes (fakes/snap): it speaks CloudWatch's query protocol,
      // which the fake serves (newer CLIs default to CBOR for CloudWatch).
      'if [[ -x /usr/bin/aws ]]; then exec /usr/bin/aws "${endpoint[@]}" "$@"; fi',
      'exec aws "${endpoint[@]}" "$@"',
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_PAGER: "",
    K8SHA_AWS: wrapper,
  };
}
