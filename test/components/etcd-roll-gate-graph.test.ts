/**
 * The health-gated rolls of the dedicated etcd nodes (external topology) as the real program
 * registers them (Pulumi mocks, no AWS), on the dev and prod stacks: one EtcdRollGate per member,
 * chained (gate i after node i, node i+1's template and ASG after gate i), the masters' first
 * template and ASG after the last etcd gate (one node of either kind out at a time), the
 * runner's exact environment contract, triggers and instance tags; what changes the etcd nodes'
 * fingerprints and what does not; no gate with `rolling.enabled: false`, and none in stacked.
 *
 * Expected values come from the graph or the stack file, never from the code under test: the
 * stable address from each node's own node.env, ASG names from the ASGs, the target group's ARN
 * from the target group, the bucket from the bucket resource.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultEtcdVersion } from "../../config/etcd-versions";
import { kubernetesMinor } from "../../config/semver";
import {
  type ConfigOverrides,
  ofType,
  PROJECT_ROOT,
  type RegisteredResource,
  readStackConfig,
  type SynthResult,
  synthesize,
} from "../../synth/mockRuntime";
import { type Graph, indexGraph, only, reachable } from "../support/graph";
import { envOf, gateCommands, instanceTags, nodeViews } from "../support/nodeViews";

const T = {
  gate: "k8sha:etcd:EtcdRollGate",
  masterGate: "k8sha:controlplane:RollGate",
  cmd: "command:local:Command",
  etcdNode: "k8sha:etcd:EtcdNode",
  etcdCluster: "k8sha:etcd:EtcdCluster",
  master: "k8sha:controlplane:Master",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  asg: "aws:autoscaling/group:Group",
  tg: "aws:lb/targetGroup:TargetGroup",
  bucket: "aws:s3/bucket:Bucket",
  clusterBucket: "k8sha:storage:ClusterBucket",
} as const;

/** The runner's contract (scripts/roll-etcd-node.sh reads exactly these). */
const CONTRACT = [
  "K8SHA_ROLL_REGION",
  "K8SHA_ROLL_CLUSTER",
  "K8SHA_ROLL_MEMBER",
  "K8SHA_ROLL_MEMBERS",
  "K8SHA_ROLL_ASG",
  "K8SHA_ROLL_ETCD_ASGS",
  "K8SHA_ROLL_MASTERS",
  "K8SHA_ROLL_MASTER_ASGS",
  "K8SHA_ROLL_TARGET_GROUP_ARN",
  "K8SHA_ROLL_STABLE_ADDRESS",
  "K8SHA_ROLL_NODE_SPEC",
  "K8SHA_ROLL_BACKUP_BUCKET",
  "K8SHA_ROLL_BACKUP_PREFIX",
  "K8SHA_ROLL_BACKUP_MAX_AGE_MINUTES",
  "K8SHA_ROLL_TIMEOUT_SECONDS",
  "K8SHA_ROLL_INTERVAL_SECONDS",
];
const TAG_SPEC = "k8sha.io/node-spec";

/** The stack's own etcd settings switched to the external topology, plus `extra`. */
function external(
  stack: string,
  extra: Record<string, unknown> = {},
  rest: ConfigOverrides = {},
): ConfigOverrides {
  const config = readStackConfig(stack);
  const etcd = JSON.parse(config["k8s-ha:etcd"] ?? "{}") as Record<string, unknown>;
  const minor = kubernetesMinor(config["k8s-ha:kubernetesVersion"] ?? "") ?? 0;
  return {
    ...rest,
    etcd: {
      ...etcd,
      topology: "external",
      version: defaultEtcdVersion(minor),
      ...extra,
    },
  };
}

const graphs: Record<string, Graph> = {};
const variants: Record<string, SynthResult> = {};

beforeAll(async () => {
  for (const name of ["dev", "prod"]) graphs[name] = indexGraph(await synthesize(name, external(name)));
  variants.etcdType = await synthesize("dev", external("dev", { instanceType: "m6i.xlarge" }));
  variants.masterType = await synthesize(
    "dev",
    external("dev", {}, { masters: { count: 3, instanceType: "t3.large" } }),
  );
  variants.off = await synthesize("dev", external("dev", {}, { rolling: { enabled: false } }));
  variants.stacked = await synthesize("dev");
}, 240_000);

const specsOf = (r: SynthResult, type: string) =>
  nodeViews(indexGraph(r), type).map((v) => instanceTags(v.lt)[TAG_SPEC]);

describe.each(["dev", "prod"])("%s stack, external etcd", (name) => {
  const g = () => graphs[name];
  const members = () => nodeViews(g(), T.etcdNode).length;

  test("one EtcdRollGate per etcd member, a child of the EtcdCluster, each with one local command", () => {
    const gates = ofType(g().result, T.gate);
    expect(members()).toBeGreaterThanOrEqual(3);
    expect(gates).toHaveLength(members());
    const cluster = only(ofType(g().result, T.etcdCluster), "etcd cluster");
    for (const gate of gates) expect(gate.parent).toBe(cluster.urn);
    expect(gateCommands(g(), T.gate)).toHaveLength(members());
  });

  test("gate i runs after node i; node i+1's template and ASG only after gate i", () => {
    const nodes = nodeViews(g(), T.etcdNode);
    const cmds = gateCommands(g(), T.gate);
    nodes.forEach((n, i) => {
      expect(cmds[i].dependencies).toEqual(expect.arrayContaining([n.asg.urn, n.lt.urn]));
      const previous = cmds[i - 1];
      if (previous) {
        expect(n.lt.dependencies).toContain(previous.urn);
        expect(n.asg.dependencies).toContain(previous.urn);
      }
      for (const later of cmds.slice(i)) {
        expect(reachable(g(), n.lt).has(later.urn)).toBe(false);
        expect(reachable(g(), n.asg).has(later.urn)).toBe(false);
      }
    });
  });

  test("the masters change only after the last etcd gate, and no etcd node waits for a master gate", () => {
    const last = gateCommands(g(), T.gate).at(-1) as RegisteredResource;
    const masters = nodeViews(g(), T.master);
    expect(masters[0].lt.dependencies).toContain(last.urn);
    expect(masters[0].asg.dependencies).toContain(last.urn);
    const masterGates = gateCommands(g(), T.masterGate);
    expect(masterGates).toHaveLength(masters.length);
    for (const n of nodeViews(g(), T.etcdNode)) {
      for (const m of masterGates) expect(reachable(g(), n.asg).has(m.urn)).toBe(false);
    }
  });

  test("each gate's environment is exactly the runner's contract, with this member's values", () => {
    const config = readStackConfig(name);
    const nodes = nodeViews(g(), T.etcdNode);
    const masters = nodeViews(g(), T.master);
    const tg = only(ofType(g().result, T.tg), "API target group");
    const bucket = only(
      ofType(g().result, T.bucket).filter(
        (b) => b.parent.split("::")[2]?.split("$").pop() === T.clusterBucket,
      ),
      "snapshot bucket",
    );
    const rolling = JSON.parse(config["k8s-ha:rolling"] ?? "{}") as { timeoutMinutes?: number };
    gateCommands(g(), T.gate).forEach((cmd, i) => {
      const env = envOf(cmd);
      expect(Object.keys(env).sort()).toEqual([...CONTRACT].sort());
      expect(env).toMatchObject({
        K8SHA_ROLL_REGION: nodes[i].env.AWS_DEFAULT_REGION,
        K8SHA_ROLL_CLUSTER: nodes[i].env.CLUSTER_NAME,
        K8SHA_ROLL_MEMBER: String(i),
        K8SHA_ROLL_MEMBERS: String(nodes.length),
        K8SHA_ROLL_ASG: String(nodes[i].asg.inputs.name),
        K8SHA_ROLL_ETCD_ASGS: nodes.map((n) => String(n.asg.inputs.name)).join(","),
        K8SHA_ROLL_MASTERS: String(masters.length),
        K8SHA_ROLL_MASTER_ASGS: masters.map((m) => String(m.asg.inputs.name)).join(","),
        K8SHA_ROLL_TARGET_GROUP_ARN: String(tg.state.arn),
        K8SHA_ROLL_STABLE_ADDRESS: nodes[i].env.STABLE_IP,
        K8SHA_ROLL_NODE_SPEC: String(instanceTags(nodes[i].lt)[TAG_SPEC]),
        K8SHA_ROLL_BACKUP_BUCKET: String(bucket.inputs.bucket ?? bucket.state.bucket),
        K8SHA_ROLL_BACKUP_PREFIX: nodes[i].env.BACKUP_PREFIX,
        K8SHA_ROLL_TIMEOUT_SECONDS: String((rolling.timeoutMinutes ?? 20) * 60),
      });
      expect(env.K8SHA_ROLL_BACKUP_MAX_AGE_MINUTES).toMatch(/^[1-9]\d*$/);
      expect(env.K8SHA_ROLL_INTERVAL_SECONDS).toMatch(/^[1-9]\d*$/);
      expect(env.K8SHA_ROLL_STABLE_ADDRESS).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    });
  });

  test("triggers are exactly [fingerprint]; the program is common.sh + cluster-aws.sh + roll-gate.sh + roll-etcd-node.sh", () => {
    const nodes = nodeViews(g(), T.etcdNode);
    const program = [
      "cloud-init/lib/common.sh",
      "cloud-init/lib/cluster-aws.sh",
      "scripts/lib/roll-gate.sh",
      "scripts/roll-etcd-node.sh",
    ]
      .map((f) => fs.readFileSync(path.join(PROJECT_ROOT, f), "utf8"))
      .join("\n");
    gateCommands(g(), T.gate).forEach((cmd, i) => {
      const spec = instanceTags(nodes[i].lt)[TAG_SPEC];
      expect(spec).toMatch(/^[0-9a-f]{16}$/);
      expect(cmd.inputs.triggers).toEqual([spec]);
      expect(cmd.inputs.interpreter).toEqual(["/bin/bash", "-c"]);
      expect(cmd.inputs.create).toBe(program);
    });
    // Distinct members have distinct templates (volume, address, member in the user-data).
    expect(new Set(nodes.map((n) => instanceTags(n.lt)[TAG_SPEC])).size).toBe(nodes.length);
  });
});

test("an etcd instance-type change re-fingerprints every etcd node and no master", () => {
  const base = graphs.dev.result;
  const before = specsOf(base, T.etcdNode);
  const after = specsOf(variants.etcdType, T.etcdNode);
  expect(after).toHaveLength(before.length);
  for (const [i, spec] of after.entries()) expect(spec).not.toBe(before[i]);
  expect(specsOf(variants.etcdType, T.master)).toEqual(specsOf(base, T.master));
});

test("a master instance-type change re-fingerprints every master and no etcd node", () => {
  const base = graphs.dev.result;
  expect(specsOf(variants.masterType, T.etcdNode)).toEqual(specsOf(base, T.etcdNode));
  const before = specsOf(base, T.master);
  for (const [i, spec] of specsOf(variants.masterType, T.master).entries()) {
    expect(spec).not.toBe(before[i]);
  }
});

test("rolling.enabled false registers no etcd gate; stacked registers none either", () => {
  expect(ofType(variants.off, T.gate)).toEqual([]);
  expect(ofType(variants.stacked, T.gate)).toEqual([]);
  expect(ofType(variants.stacked, T.etcdNode)).toEqual([]);
});
