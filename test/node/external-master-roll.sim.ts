/**
 * `pulumi up` of a changed master config in the external topology, on the whole-cluster
 * simulation (externalSimulation.ts: 3 etcd nodes and 3 stateless masters of the dev graph, each
 * booted from its own launch template's user-data): the graph is synthesized again and only the
 * masters' gates run (the etcd nodes' triggers did not change), each the graph's own program
 * (scripts/roll-master.sh) with the graph's own environment on the operator's machine, as in
 * rolling.sim.ts. A master holds no etcd member here, so its gate has no leadership to move and
 * its replacement boots offline against the etcd nodes; etcd must not notice the roll at all.
 *
 * Real: etcd 3.4 on every etcd node, every replacement's boot from its new template, the gate
 * and the masters' operations CLI, the etcd nodes' backup service. Stubbed: Auto Scaling, the
 * API target group and SSM Run Command (fakeAutoscaling.ts, fakeTargetGroup.ts,
 * fakeRunCommand.ts), the API servers (kube stubs: ready while etcd has quorum).
 */
import type { ConfigOverrides } from "../../synth/mockRuntime";
import {
  etcdNodesBackupNow,
  outcomes,
  roll,
  runGates,
  takeOutStepPositions,
  terminations,
} from "../support/sandbox/rolling";
import { externalSimulationSuite } from "../support/sandbox/suite";

const current = externalSimulationSuite();

/** The sim's config with the masters' instance type changed: a template change of every master. */
function withMasterInstanceType(instanceType: string): ConfigOverrides {
  const base = current().cluster.config;
  return { ...base, masters: { ...(base.masters as object), instanceType } };
}

test("a master template change rolls the stateless masters one at a time; etcd never notices", async () => {
  const sim = current();
  await etcdNodesBackupNow(sim);
  const members = sim.members();
  const keys = sim.keys();
  const etcdBefore = sim.etcdNodes.map((n) => n.instanceId);
  const before = sim.masters.map((n) => n.instanceId);
  const report = await roll(sim, withMasterInstanceType("t3.large"));
  // Only the masters' gates changed, so only they ran, master 0 first.
  expect(outcomes(report)).toEqual([
    [0, 0],
    [1, 0],
    [2, 0],
  ]);
  for (const g of report.gates) expect(g.output).not.toContain("roll-etcd-node[");
  expect(report.boots.map((b) => b.code)).toEqual([0, 0, 0]);
  for (const b of report.boots) {
    expect(b.log).toContain("boot mode: offline");
    expect(b.log).not.toContain("boot mode: init");
  }
  for (const [i, g] of report.gates.entries()) {
    const at = takeOutStepPositions(g.output, "replace");
    for (const x of at) expect(x).toBeGreaterThanOrEqual(0);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(g.output).toContain(`replaced ${before[i]} by ${sim.masters[i]?.instanceId}`);
    // The leader is an etcd node, never at a master's address: the step finds nothing to move.
    expect(g.output).toMatch(/ok move-leader: the leader is \S+ \(\S+\), not at [0-9.]+: nothing to move/);
    const gate = sim.cluster.gates[i];
    const spec = gate ? sim.cluster.gateEnv(gate).K8SHA_ROLL_NODE_SPEC : "no gate";
    expect(sim.cluster.aws.instances.get(sim.masters[i]?.instanceId ?? "")?.tags["k8sha.io/node-spec"]).toBe(
      spec,
    );
  }
  // Deregistered from the API target group before its termination; the replacement registered.
  const events = sim.cluster.aws.targetGroup.events;
  for (const [i, id] of before.entries()) {
    expect(events.indexOf(`deregister ${id}`)).toBeGreaterThanOrEqual(0);
    expect(events.indexOf(`register ${sim.masters[i]?.instanceId}`)).toBeGreaterThan(
      events.indexOf(`deregister ${id}`),
    );
  }
  // etcd: the same instances and members, every member healthy at every sample, no write lost.
  expect(sim.etcdNodes.map((n) => n.instanceId)).toEqual(etcdBefore);
  expect(sim.members()).toEqual(members);
  expect(sim.keys()).toEqual(keys);
  expect(report.samples).toBeGreaterThan(20);
  expect(report.minHealthy).toBe(3);
  expect(report.acked).toBeGreaterThan(20);
  expect(report.lost).toEqual([]);
  expect(await Promise.all(sim.masters.map((m) => sim.readyz(m)))).toEqual([200, 200, 200]);
}, 1_800_000);

test("a re-run finds every master current and touches nothing", async () => {
  const sim = current();
  const n = terminations(sim);
  const report = await runGates(sim, [...sim.cluster.etcdGates, ...sim.cluster.gates]);
  expect(outcomes(report)).toEqual([
    [0, 0],
    [1, 0],
    [2, 0],
    [0, 0],
    [1, 0],
    [2, 0],
  ]);
  for (const g of report.gates) expect(g.output).toMatch(/already runs node spec [0-9a-f]+.*; skipped/);
  expect(terminations(sim)).toBe(n);
}, 600_000);
