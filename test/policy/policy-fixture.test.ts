/**
 * Each policy against a small hand-built cluster graph: the clean graph passes, and one
 * injected fault per policy is caught by that policy. The same checks run against the real
 * dev/prod graphs in policy-graphs.test.ts.
 */
import * as zlib from "node:zlib";
import { bundleScript } from "../../cloud-init/bundle";
import { evaluatePolicies } from "../../policy/registry";
import type { GraphResource } from "../../policy/types";

const ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
const urn = (type: string, name: string) => `urn:pulumi:t::k8s-ha::${type}::${name}`;
const res = (
  type: string,
  name: string,
  props: Record<string, unknown>,
  deps: string[] = [],
): GraphResource => ({
  type,
  name,
  urn: urn(type, name),
  props,
  dependencies: deps,
});

function cloudConfig(files: { path: string; content: string; gz?: boolean }[]): string {
  const lines = ["#cloud-config", "write_files:"];
  for (const f of files) {
    const content = f.gz ? zlib.gzipSync(f.content).toString("base64") : f.content;
    lines.push(
      `  - path: ${f.path}`,
      `    encoding: ${f.gz ? "gz+b64" : "text/plain"}`,
      `    content: ${JSON.stringify(content)}`,
    );
  }
  return Buffer.from(lines.join("\n")).toString("base64");
}

function cleanGraph(): GraphResource[] {
  const subnets = ZONES.map((z, i) => res("aws:ec2/subnet:Subnet", `private-${i}`, { availabilityZone: z }));
  const lt = res("aws:ec2/launchTemplate:LaunchTemplate", "master-lt", {
    metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
    blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: true, volumeSize: 50 } }],
    userData: cloudConfig([{ path: "/opt/k8sha/boot.sh", content: "#!/bin/bash\necho boot\n", gz: true }]),
  });
  const masters = subnets.map((s, i) =>
    res(
      "aws:autoscaling/group:Group",
      `master-${i}`,
      {
        tags: [{ key: "k8sha.io/role", value: "control-plane", propagateAtLaunch: true }],
        vpcZoneIdentifiers: [`${s.name}-id`],
      },
      [s.urn, lt.urn],
    ),
  );
  const volumes = ZONES.map((z, i) =>
    res("aws:ebs/volume:Volume", `etcd-${i}`, {
      availabilityZone: z,
      encrypted: true,
      tags: { "k8sha.io/etcd-member": `${i}` },
    }),
  );
  const bucket = res("aws:s3/bucket:Bucket", "backups", { bucket: "dev-etcd-backups" });
  const versioning = res(
    "aws:s3/bucketVersioning:BucketVersioning",
    "backups-v",
    { versioningConfiguration: { status: "Enabled" } },
    [bucket.urn],
  );
  const pab = res(
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "backups-pab",
    { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    [bucket.urn],
  );
  const apiRule = res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "api-world", {
    ipProtocol: "tcp",
    fromPort: 6443,
    toPort: 6443,
    cidrIpv4: "0.0.0.0/0",
  });
  const bundle = res("aws:s3/bucketObjectv2:BucketObjectv2", "boot-master", {
    content: bundleScript("master", [{ path: "lib/ok.sh", mode: "0644", content: Buffer.from("echo ok\n") }])
      .content,
  });
  return [...subnets, lt, ...masters, ...volumes, bucket, versioning, pab, apiRule, bundle];
}

const policiesHit = (graph: GraphResource[]) =>
  [...new Set(evaluatePolicies(graph).map((v) => v.policy))].sort();
const edit = (graph: GraphResource[], name: string, change: (props: Record<string, unknown>) => void) => {
  const r = graph.find((x) => x.name === name);
  if (!r) throw new Error(`fixture has no ${name}`);
  change(r.props);
  return graph;
};

test("the clean fixture cluster passes every policy", () => {
  expect(evaluatePolicies(cleanGraph())).toEqual([]);
});

const injections: [string, string[], (g: GraphResource[]) => GraphResource[]][] = [
  [
    "even master count",
    ["etcd-volume-per-master", "masters-odd-count-distinct-azs"],
    (g) => g.filter((r) => r.name !== "master-2"),
  ],
  [
    "two masters in one zone",
    ["etcd-volume-per-master", "masters-odd-count-distinct-azs"],
    (g) =>
      edit(g, "master-2", (p) => {
        p.availabilityZones = [ZONES[0]];
      }),
  ],
  [
    "etcd volume in another zone",
    ["etcd-volume-per-master"],
    (g) =>
      edit(g, "etcd-1", (p) => {
        p.availabilityZone = ZONES[0];
      }),
  ],
  [
    "IMDSv1 allowed",
    ["imdsv2-required"],
    (g) =>
      edit(g, "master-lt", (p) => {
        p.metadataOptions = { httpTokens: "optional", httpPutResponseHopLimit: 1 };
      }),
  ],
  [
    "IMDS hop limit 2 (pods behind the bridge reach IMDS)",
    ["imdsv2-required"],
    (g) =>
      edit(g, "master-lt", (p) => {
        p.metadataOptions = { httpTokens: "required", httpPutResponseHopLimit: 2 };
      }),
  ],
  [
    "unencrypted volume",
    ["ebs-encrypted"],
    (g) =>
      edit(g, "etcd-0", (p) => {
        p.encrypted = false;
      }),
  ],
  [
    "unencrypted block device",
    ["ebs-encrypted"],
    (g) =>
      edit(g, "master-lt", (p) => {
        p.blockDeviceMappings = [{ deviceName: "/dev/sda1", ebs: { volumeSize: 50 } }];
      }),
  ],
  [
    "etcd open to the world",
    ["no-world-etcd-kubelet"],
    (g) =>
      edit(g, "api-world", (p) => {
        p.fromPort = 2379;
        p.toPort = 2380;
      }),
  ],
  [
    "kubelet open to ::/0 via all protocols",
    ["no-world-etcd-kubelet"],
    (g) =>
      edit(g, "api-world", (p) => {
        p.ipProtocol = "-1";
        p.cidrIpv4 = undefined;
        p.cidrIpv6 = "::/0";
      }),
  ],
  [
    "PEM key in a gz+b64 file",
    ["no-secrets-in-user-data"],
    (g) =>
      edit(g, "master-lt", (p) => {
        p.userData = cloudConfig([
          { path: "/etc/kubernetes/pki/ca.key", content: "-----BEGIN RSA PRIVATE KEY-----\nMII\n", gz: true },
        ]);
      }),
  ],
  [
    "bootstrap token in user-data",
    ["no-secrets-in-user-data"],
    (g) =>
      edit(g, "master-lt", (p) => {
        p.userData = cloudConfig([{ path: "/etc/join.env", content: "TOKEN=abcdef.0123456789abcdef\n" }]);
      }),
  ],
  [
    "AWS access key in user-data",
    ["no-secrets-in-user-data"],
    (g) =>
      edit(g, "master-lt", (p) => {
        p.userData = Buffer.from("#!/bin/bash\nexport AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP\n").toString(
          "base64",
        );
      }),
  ],
  [
    "bootstrap token in a boot bundle file (base64 in the bundle)",
    ["no-secrets-in-user-data"],
    (g) =>
      edit(g, "boot-master", (p) => {
        const file = {
          path: "lib/join.sh",
          mode: "0644",
          content: Buffer.from("TOKEN=abcdef.0123456789abcdef\n"),
        };
        p.content = bundleScript("master", [file]).content;
      }),
  ],
  [
    "bucket policy allowing everyone",
    ["private-versioned-backup-bucket"],
    (g) => {
      const statement = { Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:GetObject", Resource: "*" };
      const policy = JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
      const bucketUrn = g.find((r) => r.name === "backups")?.urn ?? "";
      return [...g, res("aws:s3/bucketPolicy:BucketPolicy", "backups-policy", { policy }, [bucketUrn])];
    },
  ],
  [
    "the issuer bucket readable by everyone beyond its two discovery documents",
    ["private-versioned-backup-bucket"],
    (g) => {
      const type = "aws:s3/bucket:Bucket";
      const bucket: GraphResource = {
        ...res(type, "issuer", { bucket: "k8sha-sa-t-1" }),
        urn: `urn:pulumi:t::k8s-ha::k8sha:identity:ServiceAccountIssuer$${type}::issuer`,
      };
      const block = res(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "issuer-pab",
        { bucket: "k8sha-sa-t-1", blockPublicAcls: true, ignorePublicAcls: true },
        [bucket.urn],
      );
      const documents = ["/.well-known/openid-configuration", "/openid/v1/jwks"].map(
        (d) => `arn:aws:s3:::k8sha-sa-t-1${d}`,
      );
      const statement = (resources: string[]) => ({
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: resources,
      });
      const policy = (resources: string[]) =>
        res(
          "aws:s3/bucketPolicy:BucketPolicy",
          "issuer-policy",
          { policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement(resources)] }) },
          [bucket.urn],
        );
      // The issuer bucket exactly as built passes; the injected fault is the whole bucket.
      expect(evaluatePolicies([...g, bucket, block, policy(documents)])).toEqual([]);
      return [...g, bucket, block, policy([...documents, "arn:aws:s3:::k8sha-sa-t-1/*"])];
    },
  ],
  [
    "versioning suspended",
    ["private-versioned-backup-bucket"],
    (g) =>
      edit(g, "backups-v", (p) => {
        p.versioningConfiguration = { status: "Suspended" };
      }),
  ],
  [
    "public access block missing",
    ["private-versioned-backup-bucket"],
    (g) => g.filter((r) => r.name !== "backups-pab"),
  ],
  [
    "public ACL",
    ["private-versioned-backup-bucket"],
    (g) =>
      edit(g, "backups", (p) => {
        p.acl = "public-read";
      }),
  ],
];

test.each(injections)("caught: %s", (_label, expected, inject) => {
  expect(policiesHit(inject(cleanGraph()))).toEqual(expected);
});
