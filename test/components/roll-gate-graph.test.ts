/**
 * The health-gated master rolls as the real program registers them (Pulumi mocks, no AWS), on
 * the dev and prod stacks: one RollGate per master, chained through the graph (gate i after
 * master i, master i+1's template and ASG after gate i), every worker pool and the version
 * parameter after the last gate, the runner's exact environment contract, triggers and instance
 * tags; the node-spec fingerprint against config changes; and no gate with `rolling.enabled: false`.
 *
 * Expected values come from the graph or the stack file, never from the code under test: the
 * stable address from the master's own node.env, the target group's ARN and deregistration
 * delay from the target group, the bucket from the bucket resource.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { nodeSpecFingerprint, nodeSpecOutput } from "../../components/nodes/nodeSpec";
import { parseConfig } from "../../config/stack";
import type { ClusterSpec } from "../../config/types";
import {
  ofType,
  PROJECT_ROOT,
  type RegisteredResource,
  readStackConfig,
  type SynthResult,
  synthesize,
} from "../../synth/mockRuntime";
import { childrenOf, type Graph, indexGraph, list, only, reachable, rec } from "../support/graph";
import { envOf, gateCommands, instanceTags, type NodeView, nodeViews } from "../support/nodeViews";

const T = {
  gate: "k8sha:controlplane:RollGate",
  cmd: "command:local:Command",
  master: "k8sha:controlplane:Master",
  controlPlane: "k8sha:controlplane:ControlPlane",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  asg: "aws:autoscaling/group:Group",
  tg: "aws:lb/targetGroup:TargetGroup",
  bucket: "aws:s3/bucket:Bucket",
  clusterBucket: "k8sha:storage:ClusterBucket",
  ssm: "aws:ssm/parameter:Parameter",
  pool: "k8sha:workers:WorkerPool",
} as const;

/** The runner's contract (scripts/roll-master.sh reads exactly these). */
const CONTRACT = [
  "K8SHA_ROLL_REGION",
  "K8SHA_ROLL_CLUSTER",
  "K8SHA_ROLL_MEMBER",
  "K8SHA_ROLL_MASTERS",
  "K8SHA_ROLL_ASG",
  "K8SHA_ROLL_MASTER_ASGS",
  "K8SHA_ROLL_TARGET_GROUP_ARN",
  "K8SHA_ROLL_STABLE_ADDRESS",
  "K8SHA_ROLL_NODE_SPEC",
  "K8SHA_ROLL_KUBERNETES_VERSION",
  "K8SHA_ROLL_BACKUP_BUCKET",
  "K8SHA_ROLL_BACKUP_PREFIX",
  "K8SHA_ROLL_BACKUP_MAX_AGE_MINUTES",
  "K8SHA_ROLL_TIMEOUT_SECONDS",
  "K8SHA_ROLL_INTERVAL_SECONDS",
  "K8SHA_ROLL_DEREGISTRATION_SECONDS",
];
const TAG_SPEC = "k8sha.io/node-spec";
const TAG_VERSION = "k8sha.io/kubernetes-version";

interface Stack extends Graph {
  config: ClusterSpec;
}
const stacks: Record<string, Stack> = {};
const variants: Record<string, SynthResult> = {};

async function load(name: string): Promise<Stack> {
  return { ...indexGraph(await synthesize(name)), config: parseConfig(readStackConfig(name)) };
}

beforeAll(async () => {
  stacks.dev = await load("dev");
  stacks.prod = await load("prod");
  variants.versionOnly = await synthesize("dev", { kubernetesVersion: "1.35.0" });
  variants.instanceType = await synthesize("dev", { masters: { count: 3, instanceType: "t3.large" } });
  variants.image = await synthesize("dev", { imageId: "ami-0123456789abcdef0" });
  variants.off = await synthesize("dev", { rolling: { enabled: false } });
  variants.tuned = await synthesize("dev", { rolling: { timeoutMinutes: 45, backupMaxAgeMinutes: 90 } });
}, 180_000);

const masterViews = (g: Graph): NodeView[] => nodeViews(g, T.master);
const versionParameter = (r: SynthResult) =>
  only(
    ofType(r, T.ssm).filter((p) => String(p.inputs.name).endsWith("/control-plane/kubernetes-version")),
    "version parameter",
  );

describe.each(["dev", "prod"])("%s stack", (name) => {
  const s = () => stacks[name];

  test("one RollGate per master, a child of the ControlPlane, each with one local command", () => {
    const gates = ofType(s().result, T.gate);
    expect(gates).toHaveLength(s().config.masters.count);
    const cp = only(ofType(s().result, T.controlPlane), "control plane");
    for (const gate of gates) expect(gate.parent).toBe(cp.urn);
    expect(gateCommands(s(), T.gate)).toHaveLength(s().config.masters.count);
  });

  test("gate i runs after master i; master i+1's template and ASG only after gate i", () => {
    const views = masterViews(s());
    const cmds = gateCommands(s(), T.gate);
    views.forEach((m, i) => {
      expect(cmds[i].dependencies).toEqual(expect.arrayContaining([m.asg.urn, m.lt.urn]));
      const previous = cmds[i - 1];
      if (previous) {
        expect(m.lt.dependencies).toContain(previous.urn);
        expect(m.asg.dependencies).toContain(previous.urn);
      }
      // Nothing of master i waits for its own gate or a later one (that would be a cycle or a stall).
      for (const later of cmds.slice(i)) {
        expect(reachable(s(), m.lt).has(later.urn)).toBe(false);
        expect(reachable(s(), m.asg).has(later.urn)).toBe(false);
      }
    });
    expect(views[0].lt.dependencies.filter((u) => u.includes(T.cmd))).toEqual([]);
  });

  test("every worker launch template and ASG waits for the last gate", () => {
    const last = gateCommands(s(), T.gate).at(-1) as RegisteredResource;
    const pools = ofType(s().result, T.pool);
    expect(pools).toHaveLength(s().config.workerPools.length);
    for (const pool of pools) {
      for (const r of [...childrenOf(s(), pool, T.lt), ...childrenOf(s(), pool, T.asg)]) {
        expect(r.dependencies).toContain(last.urn);
      }
    }
  });

  test("the version parameter is a String of the stack's version, written after the last gate", () => {
    const p = versionParameter(s().result);
    expect(p.inputs).toMatchObject({
      name: `/k8sha/${s().config.clusterName}/control-plane/kubernetes-version`,
      type: "String",
      insecureValue: s().config.kubernetesVersion,
    });
    expect(p.inputs.value).toBeUndefined();
    expect(p.dependencies).toContain((gateCommands(s(), T.gate).at(-1) as RegisteredResource).urn);
  });

  test("each gate's environment is exactly the runner's contract, with this master's values", () => {
    const cfg = s().config;
    const views = masterViews(s());
    const tg = only(ofType(s().result, T.tg), "API target group");
    const bucket = only(
      ofType(s().result, T.bucket).filter(
        (b) => b.parent.split("::")[2]?.split("$").pop() === T.clusterBucket,
      ),
      "snapshot bucket",
    );
    gateCommands(s(), T.gate).forEach((cmd, i) => {
      const env = envOf(cmd);
      expect(Object.keys(env).sort()).toEqual([...CONTRACT].sort());
      expect(env).toEqual({
        K8SHA_ROLL_REGION: cfg.region,
        K8SHA_ROLL_CLUSTER: cfg.clusterName,
        K8SHA_ROLL_MEMBER: String(i),
        K8SHA_ROLL_MASTERS: String(cfg.masters.count),
        K8SHA_ROLL_ASG: String(views[i].asg.inputs.name),
        K8SHA_ROLL_MASTER_ASGS: views.map((v) => String(v.asg.inputs.name)).join(","),
        K8SHA_ROLL_TARGET_GROUP_ARN: String(tg.state.arn),
        K8SHA_ROLL_STABLE_ADDRESS: views[i].env.STABLE_IP,
        K8SHA_ROLL_NODE_SPEC: String(instanceTags(views[i].lt)[TAG_SPEC]),
        K8SHA_ROLL_KUBERNETES_VERSION: cfg.kubernetesVersion,
        K8SHA_ROLL_BACKUP_BUCKET: String(bucket.state.bucket),
        K8SHA_ROLL_BACKUP_PREFIX: `${cfg.clusterName}/etcd/`,
        K8SHA_ROLL_BACKUP_MAX_AGE_MINUTES: String(2 * cfg.backup.intervalMinutes),
        K8SHA_ROLL_TIMEOUT_SECONDS: String(20 * 60),
        K8SHA_ROLL_INTERVAL_SECONDS: expect.stringMatching(/^[1-9]\d*$/),
        K8SHA_ROLL_DEREGISTRATION_SECONDS: String(tg.inputs.deregistrationDelay),
      });
      expect(views[i].asg.inputs.name).toBe(`${cfg.clusterName}-master-${i}`);
    });
  });

  test("triggers are exactly [fingerprint, version]; the program is common.sh + cluster-aws.sh + roll-gate.sh + roll-master.sh", () => {
    const views = masterViews(s());
    const program = [
      "cloud-init/lib/common.sh",
      "cloud-init/lib/cluster-aws.sh",
      "scripts/lib/roll-gate.sh",
      "scripts/roll-master.sh",
    ]
      .map((f) => fs.readFileSync(path.join(PROJECT_ROOT, f), "utf8"))
      .join("\n");
    gateCommands(s(), T.gate).forEach((cmd, i) => {
      expect(cmd.inputs.triggers).toEqual([
        instanceTags(views[i].lt)[TAG_SPEC],
        s().config.kubernetesVersion,
      ]);
      expect(cmd.inputs.interpreter).toEqual(["/bin/bash", "-c"]);
      expect(cmd.inputs.create).toBe(program);
    });
  });

  test("each master template tags its instance (only) with the fingerprint and the version", () => {
    const specs = masterViews(s()).map((m) => {
      const tags = instanceTags(m.lt);
      expect(tags[TAG_SPEC]).toMatch(/^[0-9a-f]{16}$/);
      expect(tags[TAG_VERSION]).toBe(s().config.kubernetesVersion);
      for (const spec of list(m.lt.inputs.tagSpecifications).map(rec)) {
        if (spec.resourceType === "instance") continue;
        expect(Object.keys(rec(spec.tags))).not.toContain(TAG_SPEC);
      }
      expect(Object.keys(rec(m.lt.inputs.tags))).not.toContain(TAG_SPEC);
      expect(list(m.asg.inputs.tags).map((t) => rec(t).key)).not.toContain(TAG_SPEC);
      return tags[TAG_SPEC];
    });
    // Each master's user-data differs (its index, volume, address), so each has its own fingerprint.
    expect(new Set(specs).size).toBe(specs.length);
    for (const lt of ofType(s().result, T.lt).filter((l) => !l.parent.includes(T.master))) {
      expect(Object.keys(instanceTags(lt))).not.toContain(TAG_SPEC);
    }
  });
});

describe("the fingerprint", () => {
  const tagsOf = (r: SynthResult) => masterViews(indexGraph(r)).map((m) => instanceTags(m.lt));

  test("a version-only change leaves every fingerprint alone, changes the version tag and trigger", () => {
    const before = masterViews(stacks.dev);
    const after = masterViews(indexGraph(variants.versionOnly));
    before.forEach((m, i) => {
      // The change did reach the template: its user-data and version tag differ.
      expect(after[i].env.KUBERNETES_VERSION).toBe("1.35.0");
      expect(after[i].lt.inputs.userData).not.toBe(m.lt.inputs.userData);
      expect(instanceTags(after[i].lt)[TAG_VERSION]).toBe("1.35.0");
      expect(instanceTags(after[i].lt)[TAG_SPEC]).toBe(instanceTags(m.lt)[TAG_SPEC]);
    });
    const triggers = gateCommands(indexGraph(variants.versionOnly), T.gate).map((c) => c.inputs.triggers);
    expect(triggers).toEqual(before.map((m) => [instanceTags(m.lt)[TAG_SPEC], "1.35.0"]));
  });

  test("an instance-type change changes every fingerprint and leaves the version alone", () => {
    const before = tagsOf(stacks.dev.result);
    tagsOf(variants.instanceType).forEach((tags, i) => {
      expect(tags[TAG_SPEC]).not.toBe(before[i][TAG_SPEC]);
      expect(tags[TAG_VERSION]).toBe(before[i][TAG_VERSION]);
    });
  });

  test("a configured image enters the fingerprint (the dev stack's looked-up image is kept)", () => {
    const kept = tagsOf(stacks.dev.result);
    expect(tagsOf(variants.image).filter((tags, i) => tags[TAG_SPEC] === kept[i][TAG_SPEC])).toEqual([]);
  });

  test("a kept image: another lookup result leaves the fingerprint alone, a configured one does not", async () => {
    const template = (imageId: string) => ({
      imageId,
      instanceType: "m6i.large",
      instanceProfileName: "profile",
      securityGroupIds: ["sg-1"],
      userDataBase64: "dXNlci1kYXRh",
      rootVolumeGiB: 50,
      ebsKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/ebs",
    });
    const spec = (imageId: string, keep: boolean) =>
      new Promise<string>((resolve) => nodeSpecOutput(template(imageId), keep).apply(resolve));
    expect(await spec("ami-old", true)).toBe(await spec("ami-new", true));
    expect(await spec("ami-old", false)).not.toBe(await spec("ami-new", false));
  });

  test("the hash: every field counts, key order and absent fields do not", () => {
    const base = {
      imageId: "ami-1",
      instanceType: "m6i.large",
      blockDeviceMappings: [{ ebs: { volumeSize: 50 } }],
    };
    const spec = nodeSpecFingerprint(base);
    expect(spec).toMatch(/^[0-9a-f]{16}$/);
    expect(
      nodeSpecFingerprint({
        instanceType: "m6i.large",
        imageId: "ami-1",
        blockDeviceMappings: base.blockDeviceMappings,
        keyName: undefined,
      }),
    ).toBe(spec);
    expect(nodeSpecFingerprint({ ...base, instanceType: "m6i.xlarge" })).not.toBe(spec);
    expect(nodeSpecFingerprint({ ...base, blockDeviceMappings: [{ ebs: { volumeSize: 51 } }] })).not.toBe(
      spec,
    );
    // Tags are metadata (the fingerprint itself becomes one): they never change it.
    expect(nodeSpecFingerprint({ ...base, tags: { a: "b" }, tagSpecifications: [] })).toBe(spec);
  });
});

describe("rolling.enabled: false", () => {
  test("no gate and no roll command; masters and workers wait for no command", () => {
    const g = indexGraph(variants.off);
    expect(ofType(variants.off, T.gate)).toHaveLength(0);
    // Only the readiness gate's command remains (dev enables it).
    expect(ofType(variants.off, T.cmd).map((c) => c.name)).toEqual(["dev-ready-wait"]);
    for (const r of [...ofType(variants.off, T.lt), ...ofType(variants.off, T.asg)]) {
      expect(r.dependencies.filter((u) => u.includes(T.cmd))).toEqual([]);
      expect(masterViews(g).some((m) => r.dependencies.includes(m.asg.urn))).toBe(false);
    }
  });

  test("the version parameter then waits for the whole control plane", () => {
    const p = versionParameter(variants.off);
    for (const m of masterViews(indexGraph(variants.off))) {
      expect(p.dependencies).toEqual(expect.arrayContaining([m.lt.urn, m.asg.urn]));
    }
  });
});

describe("the rolling section", () => {
  test("timeoutMinutes and backupMaxAgeMinutes reach every gate", () => {
    for (const cmd of gateCommands(indexGraph(variants.tuned), T.gate)) {
      expect(envOf(cmd)).toMatchObject({
        K8SHA_ROLL_TIMEOUT_SECONDS: String(45 * 60),
        K8SHA_ROLL_BACKUP_MAX_AGE_MINUTES: "90",
      });
    }
  });
});
