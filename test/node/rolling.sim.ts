/**
 * The whole-cluster simulation (test/support/sandbox/simulation.ts) of the dev stack's three
 * masters, rolled by the graph's own gates (test/support/sandbox/rolling.ts runs each gate's
 * program, scripts/roll-master.sh, with the graph's environment, on the "operator's machine":
 * the real AWS CLI against the fake Auto Scaling, ELBv2, EC2 and SSM Run Command, which runs
 * `k8sha-control-plane` on the simulated masters, and s3rver for the backup check).
 *
 * What is real: etcd 3.4 members, the boot of every replacement from its new launch template's
 * user-data, the gate and the node-side CLI, the backup in S3. What is stubbed and how it
 * behaves: see fakeAutoscaling.ts, fakeTargetGroup.ts, fakeRunCommand.ts and the kube stubs.
 */
import type { ConfigOverrides } from "../../synth/mockRuntime";
import type { NodeSandbox } from "../support/sandbox/node";
import {
  backupNow,
  outcomes,
  type RollReport,
  roll,
  runGates,
  takeOutStepPositions,
} from "../support/sandbox/rolling";
import type { Simulation } from "../support/sandbox/simulation";
import { simulationSuite } from "../support/sandbox/suite";

// Bounds: three replacement boots and six validations took 514 s alone and over 600 s beside the
// other test files on 2 cores.
const current = simulationSuite(3);

/** The sim's config with the masters' instance type changed: a template change of every master. */
function withInstanceType(sim: Simulation, instanceType: string): ConfigOverrides {
  const base = sim.cluster.config;
  return { ...base, masters: { ...(base.masters as object), instanceType } };
}

const terminations = (sim: Simulation) =>
  sim.cluster.aws.calls.filter((c) => c === "autoscaling.TerminateInstanceInAutoScalingGroup").length;

function expectQuorumKept(report: RollReport, sim: Simulation): void {
  // Sampled every half second through the roll: never more than one member down at once.
  expect(report.samples).toBeGreaterThan(20);
  expect(report.minHealthy).toBeGreaterThanOrEqual(sim.count - 1);
  expect(report.acked).toBeGreaterThan(20);
  expect(report.lost).toEqual([]);
  expect(sim.memberProblems()).toEqual([]);
  expect(sim.missingKeys()).toEqual([]);
}

test("a launch-template change rolls the masters one at a time, each gated, never costing quorum", async () => {
  const sim = current();
  await backupNow(sim);
  const before = sim.masters.map((m) => m.instanceId);
  const report = await roll(sim, withInstanceType(sim, "t3.large"));
  expect(outcomes(report)).toEqual([
    [0, 0],
    [1, 0],
    [2, 0],
  ]);
  expect(report.boots.map((b) => b.code)).toEqual([0, 0, 0]);
  for (const [i, g] of report.gates.entries()) {
    const out = g.output;
    const at = takeOutStepPositions(out, "replace");
    for (const x of at) expect(x).toBeGreaterThanOrEqual(0);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(out).toContain(`replaced ${before[i]} by ${sim.masters[i]?.instanceId}`);
    expect(out).toMatch(/master \d: rolled in \d+ s/);
  }
  // Deregistered before its termination, and the replacement registered.
  const events = sim.cluster.aws.targetGroup.events;
  for (const [i, id] of before.entries()) {
    expect(events.indexOf(`deregister ${id}`)).toBeGreaterThanOrEqual(0);
    expect(events.indexOf(`register ${sim.masters[i]?.instanceId}`)).toBeGreaterThan(
      events.indexOf(`deregister ${id}`),
    );
  }
  for (const [i, m] of sim.masters.entries()) {
    const gate = sim.cluster.gates[i];
    const spec = gate ? sim.cluster.gateEnv(gate).K8SHA_ROLL_NODE_SPEC : undefined;
    expect(sim.cluster.aws.instances.get(m.instanceId)?.tags["k8sha.io/node-spec"]).toBe(spec);
  }
  expectQuorumKept(report, sim);
}, 1_800_000);

test("a re-run finds every master current and touches nothing", async () => {
  const sim = current();
  const n = terminations(sim);
  const report = await runGates(sim, sim.cluster.gates);
  expect(outcomes(report)).toEqual([
    [0, 0],
    [1, 0],
    [2, 0],
  ]);
  for (const g of report.gates)
    expect(g.output).toMatch(/already runs node spec [0-9a-f]+ at Kubernetes [0-9.]+; skipped/);
  expect(terminations(sim)).toBe(n);
}, 600_000);

test("the gate refuses to start while a member is unhealthy, and touches no master", async () => {
  const sim = current();
  const n = terminations(sim);
  const deregistered = sim.cluster.aws.targetGroup.events.filter((e) => e.startsWith("deregister")).length;
  (sim.masters[2] as NodeSandbox).freezeEtcd();
  let report: RollReport;
  try {
    report = await roll(sim, withInstanceType(sim, "t3.xlarge"), { K8SHA_ROLL_PREFLIGHT_SECONDS: "15" });
  } finally {
    (sim.masters[2] as NodeSandbox).freezeEtcd(true);
  }
  // Gate 0 stopped; gates 1 and 2 never ran (Pulumi skips what depends on a failed resource).
  expect(report.gates.map((g) => [g.member, g.code])).toEqual([[0, 1]]);
  const out = report.gates[0]?.output ?? "";
  // The frozen member fails the health check (and with it the leader status of every member).
  expect(out).toMatch(/FAIL etcd-health: \S+ unhealthy/);
  expect(out).toContain("STOPPED at step 'preflight'");
  expect(terminations(sim)).toBe(n);
  // Nor any target: nothing was taken out of service.
  expect(sim.cluster.aws.targetGroup.events.filter((e) => e.startsWith("deregister"))).toHaveLength(
    deregistered,
  );
}, 600_000);
