/**
 * The policy pack against the REAL dev and prod graphs (index.ts under mocks with each stack's
 * config): both pass, and a fault injected into the real dev graph is caught by each policy.
 */
import { bundleScript, parseBootBundle } from "../../cloud-init/bundle";
import { BUNDLE_SIGNATURE } from "../../policy/bootBundle";
import { isEtcdVolume, isMasterAsg } from "../../policy/masters";
import { evaluatePolicies } from "../../policy/registry";
import type { GraphResource } from "../../policy/types";
import { toGraphResources } from "../../synth/graph";
import { synthesize } from "../../synth/mockRuntime";

let dev: GraphResource[];
let prod: GraphResource[];

beforeAll(async () => {
  dev = toGraphResources(await synthesize("dev"));
  prod = toGraphResources(await synthesize("prod"));
});

test("dev and prod graphs pass every policy", () => {
  expect(evaluatePolicies(dev)).toEqual([]);
  expect(evaluatePolicies(prod)).toEqual([]);
});

function first(graph: GraphResource[], what: string, pick: (r: GraphResource) => boolean): GraphResource {
  const found = graph.find(pick);
  if (!found) throw new Error(`the real graph has no ${what}`);
  return found;
}
const ofType = (type: string) => (r: GraphResource) => r.type === type;
const hits = (graph: GraphResource[]) => new Set(evaluatePolicies(graph).map((v) => v.policy));

const injections: [string, string, (g: GraphResource[]) => GraphResource[]][] = [
  [
    "one master removed (even count)",
    "masters-odd-count-distinct-azs",
    (g) => {
      const m = first(g, "master ASG", isMasterAsg);
      return g.filter((r) => r !== m);
    },
  ],
  [
    "etcd volume moved out of its master's zone",
    "etcd-volume-per-master",
    (g) => {
      const volumes = g.filter(isEtcdVolume);
      if (volumes.length < 2) throw new Error("the real graph has fewer than 2 etcd volumes");
      volumes[1].props.availabilityZone = volumes[0].props.availabilityZone;
      return g;
    },
  ],
  [
    "launch template allowing IMDSv1",
    "imdsv2-required",
    (g) => {
      first(g, "launch template", ofType("aws:ec2/launchTemplate:LaunchTemplate")).props.metadataOptions = {
        httpTokens: "optional",
      };
      return g;
    },
  ],
  [
    "unencrypted etcd volume",
    "ebs-encrypted",
    (g) => {
      first(g, "etcd volume", isEtcdVolume).props.encrypted = false;
      return g;
    },
  ],
  [
    "kubelet opened to 0.0.0.0/0",
    "no-world-etcd-kubelet",
    (g) => {
      const rule = first(
        g,
        "ingress rule",
        ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
      );
      Object.assign(rule.props, { ipProtocol: "tcp", fromPort: 10250, toPort: 10250, cidrIpv4: "0.0.0.0/0" });
      return g;
    },
  ],
  [
    "private key appended to user-data",
    "no-secrets-in-user-data",
    (g) => {
      const lt = first(g, "launch template with user-data", (r) => typeof r.props.userData === "string");
      const text = Buffer.from(String(lt.props.userData), "base64").toString("utf8");
      lt.props.userData = Buffer.from(`${text}\n# -----BEGIN EC PRIVATE KEY-----\n`).toString("base64");
      return g;
    },
  ],
  [
    "AWS access key added to the real boot bundle",
    "no-secrets-in-user-data",
    (g) => {
      const isBundle = (r: GraphResource) =>
        r.type.startsWith("aws:s3/bucketObject") && BUNDLE_SIGNATURE.test(String(r.props.content));
      const obj = first(g, "boot bundle object", isBundle);
      const leak = { path: "lib/leak.sh", mode: "0644", content: Buffer.from("KEY=AKIAABCDEFGHIJKLMNOP\n") };
      obj.props.content = bundleScript("leak", [...parseBootBundle(String(obj.props.content)), leak]).content;
      return g;
    },
  ],
  [
    "backup bucket versioning suspended",
    "private-versioned-backup-bucket",
    (g) => {
      const v = first(g, "bucket versioning", (r) => r.type.startsWith("aws:s3/bucketVersioning"));
      v.props.versioningConfiguration = { status: "Suspended" };
      return g;
    },
  ],
];

test.each(injections)("caught in the real dev graph: %s", (_label, policy, inject) => {
  expect(hits(inject(JSON.parse(JSON.stringify(dev)) as GraphResource[]))).toContain(policy);
});
