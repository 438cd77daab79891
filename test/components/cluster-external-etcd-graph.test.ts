/**
 * The real dev and prod stacks with `etcd.topology: external`, under Pulumi mocks: the etcd nodes
 * are wired into `Cluster` and the masters become stateless. Per stack: one etcd node per zone in
 * the first `etcd.members` zones; no etcd volume on any master; each master's user-data names the
 * external topology and lists every etcd node's stable client URL (member 0 first) in its
 * ClusterConfiguration; the API server's etcd client pair is in SSM; the master's policy, read by
 * the test evaluator, can neither read the etcd CA key nor attach a volume nor write snapshots.
 */
import { parseAllDocuments } from "yaml";
import { defaultEtcdVersion, pinnedEtcdReleaseSha256 } from "../../config/etcd-versions";
import { kubernetesMinor } from "../../config/semver";
import { decodeUserData } from "../../policy/userData";
import {
  MOCK_ACCOUNT_ID,
  type RegisteredResource,
  readStackConfig,
  type SynthResult,
  synthesize,
} from "../../synth/mockRuntime";
import { childrenOf, indexGraph, only } from "../support/graph";
import { isAllowed } from "../support/iam-evaluate";
import { parseNodeEnv } from "../support/nodeEnv";

const T = {
  master: "k8sha:controlplane:Master",
  etcdNode: "k8sha:etcd:EtcdNode",
  volume: "aws:ebs/volume:Volume",
  asg: "aws:autoscaling/group:Group",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  nodeRole: "k8sha:iam:NodeRole",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  parameter: "aws:ssm/parameter:Parameter",
  bundle: "aws:s3/bucketObjectv2:BucketObjectv2",
} as const;

interface Stack {
  name: string;
  result: SynthResult;
  clusterName: string;
}
const stacks: Stack[] = [];

beforeAll(async () => {
  for (const name of ["dev", "prod"]) {
    const config = readStackConfig(name);
    const etcd = JSON.parse(config["k8s-ha:etcd"] ?? "{}") as Record<string, unknown>;
    const minor = kubernetesMinor(config["k8s-ha:kubernetesVersion"] ?? "") ?? 0;
    const overrides = {
      etcd: { ...etcd, topology: "external", version: defaultEtcdVersion(minor) },
    };
    stacks.push({
      name,
      result: await synthesize(name, overrides),
      clusterName: config["k8s-ha:clusterName"] ?? name,
    });
  }
}, 240_000);

function fileOf(template: RegisteredResource, path: string): string {
  return only(
    decodeUserData(String(template.inputs.userData)).files.filter((f) => f.path === path),
    `${path} in ${template.name}`,
  ).content;
}
const envOf = (template: RegisteredResource) => parseNodeEnv(fileOf(template, "/etc/k8sha/node.env"));

function nodes(s: Stack, type: string) {
  const g = indexGraph(s.result);
  return s.result.resources
    .filter((r) => r.type === type)
    .map((node) => {
      const template = only(childrenOf(g, node, T.lt), `launch template of ${node.name}`);
      const role = only(childrenOf(g, node, T.nodeRole), `role of ${node.name}`);
      return {
        node,
        template,
        env: envOf(template),
        asg: only(childrenOf(g, node, T.asg), `ASG of ${node.name}`),
        volumes: childrenOf(g, node, T.volume),
        policy: JSON.parse(String(only(childrenOf(g, role, T.rolePolicy), "policy").inputs.policy)),
      };
    })
    .sort((a, b) => a.node.name.localeCompare(b.node.name));
}

describe.each(["dev", "prod"])("%s with external etcd", (name) => {
  const stack = () =>
    only(
      stacks.filter((s) => s.name === name),
      name,
    );

  test("three etcd nodes, one per zone, each with its own volume in its zone and a 1/1/1 group", () => {
    const etcd = nodes(stack(), T.etcdNode);
    expect(etcd).toHaveLength(3);
    const zones = etcd.map((e) => e.env.AVAILABILITY_ZONE);
    expect(new Set(zones).size).toBe(3);
    for (const e of etcd) {
      const volume = only(e.volumes, `volume of ${e.node.name}`);
      expect(volume.inputs.availabilityZone).toBe(e.env.AVAILABILITY_ZONE);
      expect(volume.inputs.encrypted).toBe(true);
      expect([e.asg.inputs.minSize, e.asg.inputs.maxSize, e.asg.inputs.desiredCapacity]).toEqual([1, 1, 1]);
      // No digest in the stack: the one config/etcd-versions.ts pins for the release reaches the node.
      expect(e.env.ETCD_RELEASE_SHA256).toBe(pinnedEtcdReleaseSha256(e.env.ETCD_VERSION ?? ""));
      expect(e.env.ETCD_RELEASE_SHA256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  test("masters hold no etcd volume: every volume of the graph belongs to an etcd node", () => {
    const masters = nodes(stack(), T.master);
    expect(masters.length).toBeGreaterThanOrEqual(3);
    for (const m of masters) expect(m.volumes).toEqual([]);
    const volumes = stack().result.resources.filter((r) => r.type === T.volume);
    expect(volumes).toHaveLength(3);
  });

  test("each master boots stateless against every etcd node's stable client URL, member 0 first", () => {
    const etcd = nodes(stack(), T.etcdNode);
    const endpoints = etcd.map((e) => `https://${e.env.STABLE_IP}:2379`);
    for (const m of nodes(stack(), T.master)) {
      expect(m.env.ETCD_TOPOLOGY).toBe("external");
      for (const key of ["ETCD_VOLUME_ID", "ETCD_MOUNT", "ETCD_DATA_DIR", "MEMBER_ADDRESSES"])
        expect(m.env[key]).toBeUndefined();
      for (const key of ["KUBEADM_INIT_TEMPLATE", "KUBEADM_LOCAL_TEMPLATE"]) {
        const docs = parseAllDocuments(fileOf(m.template, m.env[key] ?? "")).map((d) => d.toJS()) as {
          kind?: string;
          etcd?: { external?: { endpoints?: string[] }; local?: unknown };
        }[];
        const cc = only(
          docs.filter((d) => d?.kind === "ClusterConfiguration"),
          "ClusterConfiguration",
        );
        expect(cc.etcd?.local).toBeUndefined();
        expect(cc.etcd?.external?.endpoints).toEqual(endpoints);
      }
    }
  });

  test("the API server's etcd client pair is in SSM; the etcd nodes have their own boot bundle", () => {
    const { result, clusterName } = stack();
    const names = result.resources.filter((r) => r.type === T.parameter).map((p) => String(p.inputs.name));
    expect(names).toEqual(
      expect.arrayContaining([
        `/k8sha/${clusterName}/pki/apiserver-etcd-client.crt`,
        `/k8sha/${clusterName}/pki/apiserver-etcd-client.key`,
      ]),
    );
    const keys = result.resources.filter((r) => r.type === T.bundle).map((b) => String(b.inputs.key));
    expect(keys.filter((k) => k.startsWith(`${clusterName}/boot/etcd-`))).toHaveLength(1);
  });

  const backupArn = () =>
    String(
      only(
        stack().result.resources.filter(
          (r) => r.type === "aws:s3/bucket:Bucket" && /-backup-bucket$/.test(r.name),
        ),
        "backup bucket",
      ).state.arn,
    );

  test("a master's policy denies the etcd CA key and the etcd nodes' markers, and grants no volume or snapshot write", () => {
    const { clusterName } = stack();
    const arn = (p: string) => `arn:aws:ssm:eu-west-1:${MOCK_ACCOUNT_ID}:parameter${p}`;
    for (const m of nodes(stack(), T.master)) {
      const docs = [m.policy];
      const read = (p: string) => isAllowed(docs, { action: "ssm:GetParameters", resource: arn(p) });
      expect(read(`/k8sha/${clusterName}/pki/apiserver-etcd-client.key`)).toBe(true);
      expect(read(`/k8sha/${clusterName}/pki/etcd-ca.crt`)).toBe(true);
      expect(read(`/k8sha/${clusterName}/pki/etcd-ca.key`)).toBe(false);
      expect(
        isAllowed(docs, {
          action: "ssm:PutParameter",
          resource: arn(`/k8sha/${clusterName}/state/etcd-initialised`),
        }),
      ).toBe(false);
      // The masters' own marker stays writable: master 0 writes it after kubeadm init.
      expect(
        isAllowed(docs, {
          action: "ssm:PutParameter",
          resource: arn(`/k8sha/${clusterName}/state/initialised`),
        }),
      ).toBe(true);
      expect(JSON.stringify(m.policy)).not.toContain("ec2:AttachVolume");
      // The etcd nodes' leader takes the snapshots; a master neither writes nor deletes one.
      for (const action of ["s3:PutObject", "s3:DeleteObject"])
        expect(isAllowed(docs, { action, resource: `${backupArn()}/${clusterName}/etcd/all/snap.db` })).toBe(
          false,
        );
    }
  });
});
