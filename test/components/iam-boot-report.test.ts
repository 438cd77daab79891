/**
 * The failed boot's report in the node policies (components/iam/nodeStatements.ts): each role may
 * put its log tail under its OWN `<cluster>/boot-logs/<role>/` prefix only, as SSE-S3, and read,
 * list or delete nothing there; both roles may publish metrics only in the project's namespace.
 */
import { bootLogPrefix } from "../../base/healthMetrics";
import { METRICS_NAMESPACE } from "../../base/metrics";
import { isAllowed } from "../support/iam-evaluate";
import { bucketArn, master, worker } from "../support/iamFixtures";

const sseS3 = { "s3:x-amz-server-side-encryption": "AES256" };
const roles = [
  ["master", master, "worker"],
  ["worker", worker, "master"],
] as const;

describe.each(roles)("%s", (role, doc, other) => {
  const put = (key: string, context: Record<string, string> = sseS3) =>
    isAllowed([doc], { action: "s3:PutObject", resource: `${bucketArn}/${key}`, context });
  const own = `${bootLogPrefix("demo", role)}i-0123456789abcdef0.log`;

  test("PutObject of its log tail under its own role's prefix, SSE-S3 only", () => {
    expect(own).toBe(`demo/boot-logs/${role}/i-0123456789abcdef0.log`);
    expect(put(own)).toBe(true);
    // Without the explicit AES256 header the bucket default (SSE-KMS) would apply: not allowed.
    expect(put(own, {})).toBe(false);
    expect(put(own, { "s3:x-amz-server-side-encryption": "aws:kms" })).toBe(false);
  });

  test("no write under the other role's prefix, another cluster's, or any other key", () => {
    expect(put(`${bootLogPrefix("demo", other)}i-0123456789abcdef0.log`)).toBe(false);
    expect(put(`${bootLogPrefix("other", role)}i-0123456789abcdef0.log`)).toBe(false);
    expect(put(`demo/boot-logs/i-0123456789abcdef0.log`)).toBe(false);
    expect(put(`demo/boot/${role}-0123.sh`)).toBe(false);
    expect(put(`demo/addons/manifest.yaml`)).toBe(false);
    expect(
      isAllowed([doc], {
        action: "s3:PutObject",
        resource: `arn:aws:s3:::another-bucket/${own}`,
        context: sseS3,
      }),
    ).toBe(false);
  });

  test("nothing to read, list or delete the boot logs", () => {
    for (const prefix of [bootLogPrefix("demo", role), bootLogPrefix("demo", other)]) {
      for (const action of ["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject"]) {
        expect([action, isAllowed([doc], { action, resource: `${bucketArn}/${prefix}i-1.log` })]).toEqual([
          action,
          false,
        ]);
      }
      const list = { action: "s3:ListBucket", resource: bucketArn, context: { "s3:prefix": prefix } };
      expect(isAllowed([doc], list)).toBe(false);
    }
  });

  test("PutMetricData only in the project's namespace", () => {
    const metric = (ns?: string) =>
      isAllowed([doc], {
        action: "cloudwatch:PutMetricData",
        resource: "*",
        context: ns === undefined ? {} : { "cloudwatch:namespace": ns },
      });
    expect(METRICS_NAMESPACE).toBe("K8sHA");
    expect(metric(METRICS_NAMESPACE)).toBe(true);
    expect(metric("AWS/EC2")).toBe(false);
    expect(metric("K8sHA-other")).toBe(false);
    expect(metric()).toBe(false);
  });
});
