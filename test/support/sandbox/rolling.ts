/**
 * `pulumi up` of a changed config on the whole-cluster simulation: the graph is synthesized again,
 * the rolling gates whose triggers changed run in the graph's order, each the graph's own
 * program (common.sh + scripts/roll-master.sh) with the graph's own environment, on the
 * operator's machine (the real AWS CLI against the fake Auto Scaling, ELBv2, EC2 and SSM Run
 * Command, and s3rver); a gate that fails stops the ones after it, as Pulumi skips the
 * dependents of a failed resource. Meanwhile a monitor samples every member's health and a writer
 * keeps putting keys, so the roll can be held to "never fewer than a quorum, at most one member
 * down, no acknowledged write lost".
 */
import { execFile, spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import type { ConfigOverrides, RegisteredResource } from "../../../synth/mockRuntime";
import { ETCDCTL_BIN } from "../etcdProcess";
import type { SandboxCluster } from "./cluster";
import type { ExternalSimulation } from "./externalSimulation";
import type { Simulation, TimedBoot } from "./simulation";

export interface GateRun {
  member: number;
  code: number;
  output: string;
  seconds: number;
}

export interface RollReport {
  gates: GateRun[];
  /** The fewest members answering health at any sample, and how many samples were taken. */
  minHealthy: number;
  samples: number;
  /** Writes etcd acknowledged during the roll, and those of them missing afterwards. */
  acked: number;
  lost: string[];
  /** Replacement boots the ASGs ran during the roll. */
  boots: TimedBoot[];
}

/** [member, exit] of each gate that ran; a failed one's output tail too, so a failure explains itself. */
export function outcomes(r: RollReport): (string | number)[][] {
  return r.gates.map((g) => (g.code === 0 ? [g.member, 0] : [g.member, g.code, g.output.slice(-3000)]));
}

/**
 * The position of each gate step in a gate's output, in the order it must run: validated twice,
 * leadership moved, deregistered, drained, then `last` (replace or upgrade). -1 for a step missing.
 */
export function takeOutStepPositions(output: string, last: "replace" | "upgrade"): number[] {
  return [
    "validation passed (2/2)",
    "roll-master[move-leader]: begin",
    "roll-master[deregister]: begin",
    "roll-master[drain]: begin",
    `roll-master[${last}]: begin`,
  ].map((s) => output.indexOf(s));
}

/** The gate timings the simulation uses instead of the graph's (its nodes boot in seconds, not minutes). */
export const SIMULATION_GATE_ENV: Record<string, string> = {
  K8SHA_ROLL_INTERVAL_SECONDS: "2",
  // Long enough for two passes on a machine busy with other test files (a pass took 35 s there).
  K8SHA_ROLL_PREFLIGHT_SECONDS: "240",
  K8SHA_ROLL_TIMEOUT_SECONDS: "300",
};

/** What a roll runs on: a simulated cluster whose ASGs launch replacements, and its etcd. */
export interface Rollable {
  readonly cluster: SandboxCluster;
  /** The boots of replacements an ASG launched, not yet awaited. */
  readonly asgBoots: Promise<TimedBoot>[];
  /** Every etcd member's client URL (the masters' in the stacked topology, the etcd nodes' in external). */
  etcdEndpoints(): string[];
  /** etcdctl's TLS flags from outside: the etcd CA and a client pair etcd trusts, on a live node. */
  etcdClientFlags(): string[];
}

function etcdctl(sim: Rollable, endpoints: string[], args: string[], timeout = "2s"): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      ETCDCTL_BIN,
      [
        `--endpoints=${endpoints.join(",")}`,
        ...sim.etcdClientFlags(),
        "--dial-timeout=1s",
        `--command-timeout=${timeout}`,
        ...args,
      ],
      { env: { ETCDCTL_API: "3" }, encoding: "utf8" },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    ),
  );
}

/** Health sampling and a steady writer, for the duration of a roll. */
class RollMonitor {
  minHealthy = Number.POSITIVE_INFINITY;
  samples = 0;
  readonly acked: string[] = [];
  private running = true;
  private loops: Promise<void>[] = [];
  private seq = 0;

  constructor(private readonly sim: Rollable) {
    this.loops = [this.sample(), this.write()];
  }

  private addresses(): string[] {
    return this.sim.etcdEndpoints();
  }

  private async sample(): Promise<void> {
    while (this.running) {
      const answers = await Promise.all(
        this.addresses().map((e) =>
          etcdctl(this.sim, [e], ["endpoint", "health"]).then(
            () => 1,
            () => 0,
          ),
        ),
      );
      const healthy = answers.reduce<number>((a, b) => a + b, 0);
      this.minHealthy = Math.min(this.minHealthy, healthy);
      this.samples++;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private async write(): Promise<void> {
    while (this.running) {
      const key = `roll/key-${String(this.seq++).padStart(6, "0")}`;
      try {
        await etcdctl(this.sim, this.addresses(), ["put", key, "v"], "3s");
        this.acked.push(key);
      } catch {
        // Not acknowledged (e.g. during a leader change): the client would retry; not counted.
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

/** Runs one gate's program as @pulumi/command would: `bash -c <create>` with its environment. */
export function runGate(
  sim: Rollable,
  gate: RegisteredResource,
  env: Record<string, string> = {},
): Promise<GateRun> {
  const gateEnv = sim.cluster.gateEnv(gate);
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn("/bin/bash", ["-c", String(gate.inputs.create)], {
      env: { ...gateEnv, ...sim.cluster.operatorEnv(), ...SIMULATION_GATE_ENV, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("close", (code) =>
      resolve({
        member: Number(gateEnv.K8SHA_ROLL_MEMBER),
        code: code ?? 1,
        output,
        seconds: (Date.now() - t0) / 1000,
      }),
    );
  });
}

/** A verified snapshot in S3 now: each master's backup unit, as its timer would start it (the leader uploads). */
export async function backupNow(sim: Simulation): Promise<void> {
  for (const m of sim.masters) {
    const unit = m.read("etc/systemd/system/k8sha-etcd-backup.service");
    const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1];
    if (!exec) throw new Error(`master ${m.o.dir} has no backup unit`);
    const r = await m.exec(
      `set -a; . /etc/k8sha/etcd-backup.env; set +a\nexport PATH=$PATH:/snap/bin\n${exec}\n`,
      120,
    );
    if (r.code !== 0) throw new Error(`backup on ${m.instanceId} failed: ${r.stderr}`);
  }
}

/** How many instances the gates have terminated through Auto Scaling so far. */
export function terminations(sim: Rollable): number {
  return sim.cluster.aws.calls.filter((c) => c === "autoscaling.TerminateInstanceInAutoScalingGroup").length;
}

/** The same on dedicated etcd nodes: each one's backup unit, as its timer would start it (the leader uploads). */
export async function etcdNodesBackupNow(sim: ExternalSimulation): Promise<void> {
  for (const node of sim.etcdNodes) {
    const r = await sim.runService(node, "k8sha-etcd-backup.service");
    if (r.code !== 0) throw new Error(`backup on ${node.instanceId} failed: ${r.stderr}`);
  }
}

/**
 * `pulumi up` with `overrides`: the changed gates run one after the other; resolves when the
 * last ran (or one failed) and every replacement the ASGs launched finished its boot.
 */
export async function roll(
  sim: Rollable,
  overrides: ConfigOverrides,
  env: Record<string, string> = {},
): Promise<RollReport> {
  const changed = await sim.cluster.restack(overrides);
  return runGates(sim, changed, env);
}

/** The given gates in order (a re-run of `pulumi up` after a stop runs the failed one and those after). */
export async function runGates(
  sim: Rollable,
  gates: RegisteredResource[],
  env: Record<string, string> = {},
): Promise<RollReport> {
  const monitor = new RollMonitor(sim);
  const runs: GateRun[] = [];
  const seen = sim.asgBoots.length;
  try {
    for (const gate of gates) {
      const run = await runGate(sim, gate, env);
      // Kept with the nodes' logs (K8SHA_KEEP_SANDBOX=1 keeps them after the run).
      const log = `${sim.cluster.gateEnv(gate).K8SHA_ROLL_ETCD_ASGS ? "etcd-" : ""}gate-${run.member}.log`;
      appendFileSync(join(sim.cluster.dir, log), `${run.output}== exit ${run.code}\n`);
      runs.push(run);
      if (run.code !== 0) break;
    }
    await Promise.all(sim.asgBoots);
  } finally {
    await monitor.stop();
  }
  const have = new Set(
    (await etcdctl(sim, sim.etcdEndpoints(), ["get", "roll/", "--prefix", "--keys-only"]).catch(() => ""))
      .split("\n")
      .filter(Boolean),
  );
  return {
    gates: runs,
    minHealthy: monitor.minHealthy,
    samples: monitor.samples,
    acked: monitor.acked.length,
    lost: monitor.acked.filter((k) => !have.has(k)),
    boots: await Promise.all(sim.asgBoots.slice(seen)),
  };
}
