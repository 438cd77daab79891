/**
 * `pulumi up` of a changed etcd-node config in the external topology, on the whole-cluster
 * simulation (externalSimulation.ts: 3 etcd nodes and 3 stateless masters of the dev graph, each
 * booted from its own launch template's user-data): the graph is synthesized again and the gates
 * whose triggers changed run in the graph's order (rolling.ts), each the graph's own program
 * (common.sh + cluster-aws.sh + scripts/lib/roll-gate.sh + scripts/roll-etcd-node.sh) with the
 * graph's own environment, on the operator's machine: the real AWS CLI against the fake Auto
 * Scaling, ELBv2, EC2 and SSM Run Command (which runs `k8sha-control-plane` on a simulated
 * master), and s3rver for the backup check. A monitor samples every etcd member's health and a
 * writer keeps putting keys meanwhile.
 *
 * Real here: etcd 3.4 on every etcd node, every replacement's boot from its new template, the
 * gate and the masters' operations CLI, the etcd nodes' backup service. Stubbed: Auto Scaling
 * (fakeAutoscaling.ts: a terminate launches a replacement from the current template, with its
 * activities in progress), the API servers (kube stubs: ready while etcd has quorum).
 */
import type { ConfigOverrides } from "../../synth/mockRuntime";
import type { NodeSandbox } from "../support/sandbox/node";
import { etcdNodesBackupNow, outcomes, roll, runGates, terminations } from "../support/sandbox/rolling";
import { externalSimulationSuite } from "../support/sandbox/suite";

const current = externalSimulationSuite();

/** The sim's config with the etcd nodes' instance type changed: a template change of every etcd node. */
function withEtcdInstanceType(instanceType: string): ConfigOverrides {
  const base = current().cluster.config;
  return { ...base, etcd: { ...(base.etcd as object), instanceType } };
}

/** A command's result, or its stderr's tail as the failure. */
function succeeded(r: { code: number; stderr: string }): void {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr.slice(-2000)}`);
}

test("without a recent backup the first etcd gate refuses, and no instance is touched", async () => {
  const sim = current();
  const n = terminations(sim);
  const report = await roll(sim, withEtcdInstanceType("t3.large"), { K8SHA_ROLL_PREFLIGHT_SECONDS: "15" });
  // Gate 0 stopped; the later etcd gates and the masters' never ran.
  expect(report.gates.map((g) => [g.member, g.code])).toEqual([[0, 1]]);
  const out = report.gates[0]?.output ?? "";
  expect(out).toMatch(/FAIL backup/);
  expect(out).toContain("STOPPED at step 'preflight'");
  expect(out).toContain("The etcd nodes after this one and every master are untouched");
  expect(terminations(sim)).toBe(n);
}, 300_000);

test("an etcd-node template change rolls the etcd nodes one at a time: same members, no write lost, masters untouched", async () => {
  const sim = current();
  await etcdNodesBackupNow(sim);
  const members = sim.members();
  const keys = sim.keys();
  const etcdBefore = sim.etcdNodes.map((n) => n.instanceId);
  const mastersBefore = sim.masters.map((n) => n.instanceId);
  // `pulumi up` again: the gate that failed re-runs, and those after it.
  const report = await runGates(sim, sim.cluster.etcdGates);
  expect(outcomes(report)).toEqual([
    [0, 0],
    [1, 0],
    [2, 0],
  ]);
  expect(report.boots.map((b) => b.code)).toEqual([0, 0, 0]);
  for (const b of report.boots) expect(b.log).toContain("boot mode: rejoin");
  for (const [i, g] of report.gates.entries()) {
    const at = [
      "validation passed (2/2)",
      "roll-etcd-node[move-leader]: begin",
      "roll-etcd-node[replace]: begin",
      "roll-etcd-node[wait-replacement]: begin",
      "roll-etcd-node[validate-replacement]: begin",
    ].map((s) => g.output.indexOf(s));
    for (const x of at) expect(x).toBeGreaterThanOrEqual(0);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(g.output).toContain(`replaced ${etcdBefore[i]} by ${sim.etcdNodes[i]?.instanceId}`);
    const gate = sim.cluster.etcdGates[i];
    const spec = gate ? sim.cluster.gateEnv(gate).K8SHA_ROLL_NODE_SPEC : "no gate";
    const id = sim.etcdNodes[i]?.instanceId ?? "";
    expect(sim.cluster.aws.instances.get(id)?.tags["k8sha.io/node-spec"]).toBe(spec);
  }
  // Every etcd node replaced, each the same member (id, name, URLs) on its volume and address.
  expect(sim.etcdNodes.map((n) => n.instanceId).filter((id, i) => id !== etcdBefore[i])).toHaveLength(3);
  expect(sim.members()).toEqual(members);
  expect(sim.keys()).toEqual(keys);
  // Sampled every half second: never more than one member down, no acknowledged write lost.
  expect(report.samples).toBeGreaterThan(20);
  expect(report.minHealthy).toBeGreaterThanOrEqual(2);
  expect(report.acked).toBeGreaterThan(20);
  expect(report.lost).toEqual([]);
  expect(sim.masters.map((n) => n.instanceId)).toEqual(mastersBefore);
  expect(await Promise.all(sim.masters.map((m: NodeSandbox) => sim.readyz(m)))).toEqual([200, 200, 200]);
}, 1_200_000);

test("a re-run finds every etcd node current and touches nothing", async () => {
  const sim = current();
  const n = terminations(sim);
  const report = await runGates(sim, sim.cluster.etcdGates);
  expect(outcomes(report)).toEqual([
    [0, 0],
    [1, 0],
    [2, 0],
  ]);
  for (const g of report.gates) expect(g.output).toMatch(/already runs node spec [0-9a-f]+; skipped/);
  expect(terminations(sim)).toBe(n);
}, 300_000);

test("runbook (b) on an etcd node: its data moved aside and the instance replaced, the member is re-added as a learner and promoted; no key lost", async () => {
  const sim = current();
  const node = sim.etcdNodes[1] as NodeSandbox;
  const before = sim.members().find((r) => r.name === "dev-etcd-1");
  const keys = sim.keys();
  const aside = await node.exec(
    'set -euo pipefail\nsystemctl stop k8sha-etcd\n. /etc/k8sha/node.env\nmv "$ETCD_DATA_DIR" "$ETCD_DATA_DIR.corrupt"\n',
    60,
  );
  succeeded(aside);
  const [boot] = await sim.replaceEtcd([1]);
  expect(boot?.code).toBe(0);
  expect(boot?.log).toContain("boot mode: join");
  expect(boot?.log).toMatch(/predecessor, its data gone: removing it/);
  expect(boot?.log).toMatch(/caught up and was promoted to a voting member/);
  const after = sim.members();
  const row = after.find((r) => r.name === "dev-etcd-1");
  expect(row?.id).not.toBe(before?.id);
  expect(row?.peerUrl).toBe(before?.peerUrl);
  expect(after.filter((r) => r.status === "started" && !r.isLearner)).toHaveLength(3);
  expect(sim.keys()).toEqual(keys);
  // The data moved aside is still on the volume, for the operator to inspect or delete.
  const kept = await (sim.etcdNodes[1] as NodeSandbox).exec(
    '. /etc/k8sha/node.env\ntest -d "$ETCD_DATA_DIR.corrupt/member"\n',
    30,
  );
  succeeded(kept);
}, 300_000);

/** The node's etcd-restore CLI (its bundle's /opt/k8sha/bin/etcd-restore), as an operator runs it through Session Manager. */
function restoreOn(index: number, args: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return (current().etcdNodes[index] as NodeSandbox).exec(`/opt/k8sha/bin/etcd-restore ${args}\n`, 120);
}

test("runbook (a) on the etcd nodes: every member restores the same snapshot; the cluster is the snapshot's, new member ids, the API serves again", async () => {
  const sim = current();
  // A snapshot now (the leader's upload, its object key in the log), then a write after it.
  const runs = await Promise.all(sim.etcdNodes.map((n) => sim.runService(n, "k8sha-etcd-backup.service")));
  const object = runs
    .map((r) => /uploading (s3:\/\/\S+\/all\/\S+)/.exec(r.stderr + r.stdout)?.[1])
    .find(Boolean);
  expect(object).toMatch(/^s3:\/\/.+\.db(\.gz)?$/);
  const atSnapshot = sim.keys();
  sim.etcdctl(["put", "sim/after-snapshot", "rolled back"]);
  const before = sim.members();
  const initial = before
    .map((r) => r.name)
    .sort()
    .map((name, i) => `${name}=https://${sim.etcdAddress(i)}:2380`)
    .join(",");
  const args = (i: number) =>
    `full --snapshot ${object} --name dev-etcd-${i} --peer-url https://${sim.etcdAddress(i)}:2380 --initial-cluster ${initial} --token k8sha-restore-test`;
  // Refused while the member runs.
  const refused = await restoreOn(0, args(0));
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain("stop it first (sudo systemctl stop k8sha-etcd)");
  const stops = await Promise.all(sim.etcdNodes.map((n) => n.exec("systemctl stop k8sha-etcd\n", 60)));
  for (const r of stops) succeeded(r);
  const restores = await Promise.all([0, 1, 2].map((i) => restoreOn(i, args(i))));
  for (const r of restores) succeeded(r);
  const starts = await Promise.all(sim.etcdNodes.map((n) => n.exec("systemctl start k8sha-etcd\n", 60)));
  for (const r of starts) succeeded(r);
  let after = before;
  for (let waited = 0; waited < 60; waited++) {
    try {
      sim.etcdctl(["endpoint", "health", "--cluster"]);
      after = sim.members();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  expect(after.map((r) => r.name).sort()).toEqual(before.map((r) => r.name).sort());
  expect(after.filter((r) => r.status === "started" && !r.isLearner)).toHaveLength(3);
  for (const r of after) expect(before.map((b) => b.id)).not.toContain(r.id);
  expect(sim.keys()).toEqual(atSnapshot);
  // Each volume's identity names the member id the restored data has (a later replacement rejoins it).
  for (const [i, node] of sim.etcdNodes.entries()) {
    const id = after.find((r) => r.name === `dev-etcd-${i}`)?.id;
    const identity = await node.exec('. /etc/k8sha/node.env\ncat "$ETCD_MOUNT/k8sha-identity"\n', 30);
    expect(identity.stdout).toContain(`member_id=${id}`);
  }
  expect(await Promise.all(sim.masters.map((m) => sim.readyz(m)))).toEqual([200, 200, 200]);
}, 300_000);
