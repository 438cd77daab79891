/**
 * The whole-cluster simulation, three masters of the dev stack (`npm run simulate -- --scenarios`):
 * a roll whose first replacement fails its boot stops at that master, naming the step, with
 * quorum kept and the other masters untouched; once the operator replaces the broken instance
 * (terminate it: its ASG launches another), running the gates again resumes: the master now
 * current is skipped and the others roll. See rolling.sim.ts for what is real and stubbed.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { NodeSandbox } from "../support/sandbox/node";
import { backupNow, outcomes, roll, runGates } from "../support/sandbox/rolling";
import { simulationSuite } from "../support/sandbox/suite";

const current = simulationSuite(3);

test("a replacement that fails its boot stops the roll naming the step; once replaced by hand, a re-run resumes", async () => {
  const sim = current();
  await backupNow(sim);
  // The first replacement misses a command its boot needs: it fails, and stays failed.
  sim.nextReplacement = { withoutAmiCommands: ["ip"], unitAttempts: 1 };
  const base = sim.cluster.config;
  const first = await roll(
    sim,
    { ...base, masters: { ...(base.masters as object), instanceType: "t3.large" } },
    { K8SHA_ROLL_BOOT_FAILURE_GRACE_SECONDS: "5" },
  );
  expect(first.gates.map((g) => [g.member, g.code])).toEqual([[0, 1]]);
  expect(first.gates[0]?.output).toContain("STOPPED at step 'wait-replacement'");
  expect(first.gates[0]?.output).toMatch(/failed its boot \(failed/);
  // Masters 1 and 2 kept their instances and their member; quorum held throughout.
  expect(first.minHealthy).toBeGreaterThanOrEqual(2);
  expect(first.lost).toEqual([]);
  // The operator replaces the broken instance (docs/rolling.md): its ASG launches a good one.
  // Asynchronously: the fake Auto Scaling API answers from this process's event loop.
  const broken = sim.masters[0] as NodeSandbox;
  const { stdout: terminate } = await promisify(execFile)(
    sim.cluster.operatorEnv().K8SHA_AWS as string,
    [
      "--region",
      "eu-west-1",
      "autoscaling",
      "terminate-instance-in-auto-scaling-group",
      "--instance-id",
      broken.instanceId,
      "--no-should-decrement-desired-capacity",
    ],
    { env: sim.cluster.operatorEnv(), encoding: "utf8" },
  );
  expect(terminate).toContain("InProgress");
  await Promise.all(sim.cluster.aws.autoscaling.pending);
  await Promise.all(sim.asgBoots);
  const resumed = await runGates(sim, sim.cluster.gates);
  expect(outcomes(resumed)).toEqual([
    [0, 0],
    [1, 0],
    [2, 0],
  ]);
  expect(resumed.gates[0]?.output).toContain("skipped");
  for (const g of resumed.gates.slice(1)) expect(g.output).toMatch(/replaced i-\w+ by i-\w+/);
  expect(resumed.minHealthy).toBeGreaterThanOrEqual(2);
  expect(resumed.lost).toEqual([]);
  expect(sim.memberProblems()).toEqual([]);
  expect(sim.missingKeys()).toEqual([]);
}, 900_000);
