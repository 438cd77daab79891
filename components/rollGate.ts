import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { kubernetesVersionParameterName } from "../base/ssmPaths";
import { checkUpgradePath } from "../config/upgradePath";
import { API_LB_DEFAULTS } from "./tuning";

/** Seconds between the runner's polls (instance state, target health, preflight). */
export const ROLL_GATE_POLL_SECONDS = 15;

export interface RollGateArgs {
  /** AWS region of the cluster: the runner's AWS CLI calls go there. */
  region: pulumi.Input<string>;
  /** Cluster name (the tags the runner matches on). */
  clusterName: pulumi.Input<string>;
  /** 0-based index of the master this gate rolls. */
  member: pulumi.Input<number>;
  /** Number of masters (the etcd member count the preflight expects). */
  masterCount: pulumi.Input<number>;
  /** This master's ASG name (`Master.asgName`). */
  asgName: pulumi.Input<string>;
  /**
   * Every master's ASG name, master 0 first. Pass plain names (`masterNodeName`), never ASG
   * outputs: gate i must not depend on the ASGs of later masters, which depend on gate i.
   */
  masterAsgNames: pulumi.Input<string>[];
  /** The API load balancer's target group: a master is rolled only while every target is healthy. */
  targetGroupArn: pulumi.Input<string>;
  /** This master's stable private address (its etcd member's address). */
  stableAddress: pulumi.Input<string>;
  /** This master's node-spec fingerprint (`Master.nodeSpec`), as its template tags the instance. */
  nodeSpec: pulumi.Input<string>;
  /** The Kubernetes version the master must run. */
  kubernetesVersion: pulumi.Input<string>;
  /** Where etcd snapshots go; absent: the runner skips the backup-age check. */
  backup?: { bucketName: pulumi.Input<string>; prefix: pulumi.Input<string> };
  /** Newest snapshot age, in minutes, the runner accepts before it touches the master. */
  backupMaxAgeMinutes: pulumi.Input<number>;
  /** Bound of this master's roll in minutes (plain: it also sets the command's own timeouts). */
  timeoutMinutes: number;
  /** Seconds between polls (default `ROLL_GATE_POLL_SECONDS`). */
  pollSeconds?: pulumi.Input<number>;
  /** The target group's deregistration delay (default `API_LB_DEFAULTS.deregistrationDelaySeconds`). */
  deregistrationSeconds?: pulumi.Input<number>;
  /** What must exist first: this master (its launch template and ASG). */
  waitFor: pulumi.Input<pulumi.Resource>[];
}

const COMMON = path.resolve(__dirname, "../cloud-init/lib/common.sh");
const CLUSTER_AWS = path.resolve(__dirname, "../cloud-init/lib/cluster-aws.sh");
const ROLL_GATE_LIB = path.resolve(__dirname, "../scripts/lib/roll-gate.sh");

/** The gate scripts: a master's, and a dedicated etcd node's (external topology). */
export type RollGateScript = "roll-master.sh" | "roll-etcd-node.sh";

/**
 * A gate's bash program: common.sh, cluster-aws.sh, scripts/lib/roll-gate.sh, then the gate
 * script, inline (like the readiness gate's) so the command's inputs do not depend on where the
 * repository is checked out. Read when a gate is built, not when this module loads.
 */
export function rollGateProgram(script: RollGateScript = "roll-master.sh"): string {
  const gate = path.resolve(__dirname, "../scripts", script);
  return [COMMON, CLUSTER_AWS, ROLL_GATE_LIB, gate].map((f) => fs.readFileSync(f, "utf8")).join("\n");
}

/**
 * Rolls one master in `pulumi up`, kops-style, when its launch template changed: the runner
 * (scripts/roll-master.sh, on the operator's machine with @pulumi/command) upgrades the
 * instance in place when only the Kubernetes version differs from its instance tags, replaces
 * it through its ASG when the node-spec fingerprint differs, and passes only once etcd, the
 * API target and the Node are healthy again. It re-runs only when the fingerprint or the
 * version changes (`triggers`), so a master whose template did not change is not touched; the
 * ControlPlane chains the gates, so at most one master is ever out.
 */
export class RollGate extends pulumi.ComponentResource {
  /** The runner's progress lines (the last one says what was done). */
  public readonly report: pulumi.Output<string>;

  constructor(name: string, args: RollGateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:controlplane:RollGate", name, {}, opts);
    const backup = args.backup;
    const text = (value: pulumi.Input<number>) => pulumi.output(value).apply(String);
    // Every value is a plain fact of the graph (no credentials): the runner uses the operator's AWS
    // credentials, as `pulumi up` does.
    const environment: Record<string, pulumi.Input<string>> = {
      K8SHA_ROLL_REGION: args.region,
      K8SHA_ROLL_CLUSTER: args.clusterName,
      K8SHA_ROLL_MEMBER: text(args.member),
      K8SHA_ROLL_MASTERS: text(args.masterCount),
      K8SHA_ROLL_ASG: args.asgName,
      K8SHA_ROLL_MASTER_ASGS: pulumi.all(args.masterAsgNames).apply((names) => names.join(",")),
      K8SHA_ROLL_TARGET_GROUP_ARN: args.targetGroupArn,
      K8SHA_ROLL_STABLE_ADDRESS: args.stableAddress,
      K8SHA_ROLL_NODE_SPEC: args.nodeSpec,
      K8SHA_ROLL_KUBERNETES_VERSION: args.kubernetesVersion,
      K8SHA_ROLL_BACKUP_BUCKET: backup ? backup.bucketName : "",
      K8SHA_ROLL_BACKUP_PREFIX: backup ? backup.prefix : "",
      K8SHA_ROLL_BACKUP_MAX_AGE_MINUTES: text(args.backupMaxAgeMinutes),
      K8SHA_ROLL_TIMEOUT_SECONDS: String(args.timeoutMinutes * 60),
      K8SHA_ROLL_INTERVAL_SECONDS: text(args.pollSeconds ?? ROLL_GATE_POLL_SECONDS),
      K8SHA_ROLL_DEREGISTRATION_SECONDS: text(
        args.deregistrationSeconds ?? API_LB_DEFAULTS.deregistrationDelaySeconds,
      ),
    };
    const roll = new command.local.Command(
      `${name}-run`,
      {
        interpreter: ["/bin/bash", "-c"],
        create: rollGateProgram(),
        environment,
        triggers: [args.nodeSpec, args.kubernetesVersion],
      },
      {
        parent: this,
        dependsOn: args.waitFor,
        // The script bounds itself; this only stops a hung process from blocking `pulumi up` forever.
        customTimeouts: { create: `${args.timeoutMinutes + 5}m`, update: `${args.timeoutMinutes + 5}m` },
      },
    );
    this.report = roll.stdout;
    this.registerOutputs({ report: this.report });
  }
}

/**
 * The provider's whole message for a parameter that does not exist: the aws_ssm_parameter data
 * source wraps findParameterByName's NotFoundError as "reading SSM Parameter (%s): %s", and that
 * error's text is "couldn't find resource" (terraform-provider-aws
 * internal/service/ssm/parameter_data_source.go and parameter.go; terraform-plugin-sdk
 * helper/retry/error.go). The engine wraps it further; only this part is matched.
 */
export function parameterNotFoundMessage(name: string): string {
  return `reading SSM Parameter (${name}): couldn't find resource`;
}

/**
 * The Kubernetes version the cluster's control plane reached (its version parameter), or
 * undefined when the parameter does not exist (a new cluster, or one deployed before the
 * parameter was written). Any other failure (credentials, permissions, throttling) is thrown:
 * the guard must not pass because it could not look.
 */
export async function deployedKubernetesVersion(
  clusterName: string,
  opts?: pulumi.InvokeOptions,
): Promise<string | undefined> {
  const name = kubernetesVersionParameterName(clusterName);
  try {
    const found = await aws.ssm.getParameter({ name, withDecryption: false }, opts);
    return found.value;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.includes(parameterNotFoundMessage(name))) return undefined;
    throw new Error(`could not read the deployed Kubernetes version from SSM parameter ${name}: ${message}`);
  }
}

/**
 * The upgrade guard for a program that builds the Cluster component itself: call and await it
 * before `new Cluster(...)` (a component constructor cannot await). Throws an UpgradePathError
 * naming both versions when `kubernetesVersion` is a downgrade or skips a minor.
 */
export async function guardKubernetesUpgrade(
  spec: { clusterName: string; kubernetesVersion: string },
  opts?: pulumi.InvokeOptions,
): Promise<void> {
  const deployed = await deployedKubernetesVersion(spec.clusterName, opts);
  checkUpgradePath({
    deployed,
    requested: spec.kubernetesVersion,
    source: `SSM parameter ${kubernetesVersionParameterName(spec.clusterName)}`,
  });
}
