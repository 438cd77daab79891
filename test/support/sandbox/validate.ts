/**
 * `npm run validate` against the whole-cluster simulation: scripts/k8sha-validate.sh on the
 * "operator's machine" (the real AWS CLI against the fake Auto Scaling, EC2, ELBv2, SSM Run
 * Command and CloudWatch, and s3rver), with the validation target the graph wrote to SSM; or
 * the same script ON a master (`--on-master`), reading that parameter with the node's CLI.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { validationParameterName } from "../../../base/ssmPaths";
import { readStackConfig } from "../../../synth/mockRuntime";
import type { Simulation } from "./simulation";

const SCRIPT = join(__dirname, "../../../scripts/k8sha-validate.sh");

export interface ValidateRun {
  code: number;
  output: string;
  /** The `ok`/`FAIL` lines, by check name. */
  checks: Map<string, { ok: boolean; detail: string }>;
  /** The checks that failed, sorted. */
  failed: string[];
}

function parse(code: number, output: string): ValidateRun {
  const checks = new Map<string, { ok: boolean; detail: string }>();
  for (const line of output.split("\n")) {
    const m = /^(ok|FAIL) ([^:]+): (.*)$/.exec(line);
    if (m?.[2]) checks.set(m[2], { ok: m[1] === "ok", detail: m[3] ?? "" });
  }
  const failed = [...checks].filter(([, c]) => !c.ok).map(([name]) => name);
  return { code, output, checks, failed: failed.sort() };
}

/** The target the graph wrote (the SSM parameter's value, as the stack output has it too). */
export function validationTarget(sim: Simulation): string {
  const clusterName = readStackConfig(sim.cluster.stack)["k8s-ha:clusterName"] ?? sim.cluster.stack;
  const name = validationParameterName(clusterName);
  const p = sim.cluster.parameters.find((r) => r.inputs.name === name);
  if (!p) throw new Error(`the graph has no ${name} parameter`);
  return String(p.inputs.insecureValue);
}

/** The worker pool's ASG, as EC2 Auto Scaling would have it: the simulation's worker in service. */
export function enlistWorker(sim: Simulation): void {
  const asgs = /^POOL_ASGS=(.*)$/m.exec(validationTarget(sim))?.[1]?.split(",") ?? [];
  const [asg] = asgs;
  if (!asg) throw new Error("the validation target names no pool ASG");
  const worker = sim.workerNode;
  if (!sim.cluster.aws.autoscaling.groups.has(asg)) sim.cluster.aws.autoscaling.addGroup(asg);
  sim.cluster.aws.autoscaling.inService(asg, { id: worker.instanceId, zone: sim.zone(0) });
}

/** `npm run validate` from the operator's machine (the target as a saved stack output). */
export function validateFromOperator(sim: Simulation): Promise<ValidateRun> {
  const env = sim.cluster.operatorEnv(); // also makes the operator's directory
  const file = join(sim.cluster.dir, "operator", "validation-target");
  writeFileSync(file, validationTarget(sim));
  return new Promise((resolve) => {
    const child = spawn("/bin/bash", [SCRIPT, "--target", file], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("close", (code) => resolve({ ...parse(code ?? 1, out), output: `${out}\n--- stderr\n${err}` }));
  });
}

/** `k8sha-validate --on-master` in master `index`'s shell (an SSM session), with its own CLI. */
export async function validateOnMaster(sim: Simulation, index: number): Promise<ValidateRun> {
  const master = sim.masters[index];
  if (!master) throw new Error(`no master ${index}`);
  const r = await master.exec(
    "export PATH=$PATH:/snap/bin\n/opt/k8sha/bin/k8sha-validate --on-master\n",
    300,
  );
  return { ...parse(r.code, r.stdout), output: `${r.stdout}\n--- stderr\n${r.stderr}` };
}
