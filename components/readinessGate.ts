import * as fs from "node:fs";
import * as path from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { POOL_LABEL } from "../base/labels";
import { READINESS_GATE_DEFAULTS } from "../config/defaults";
import { READINESS_GATE_POLL_SECONDS } from "./tuning";

/** A worker pool the gate waits for: at least `minReady` Ready nodes labelled `k8sha.io/pool=<name>`. */
export interface ReadinessGatePool {
  name: string;
  minReady: number;
}

export interface ReadinessGateArgs {
  /** API server URL, `https://<lb dns>:6443`; must be reachable from where `pulumi up` runs. */
  server: pulumi.Input<string>;
  /** Cluster CA certificate (PEM). */
  caCertPem: pulumi.Input<string>;
  /** Admin client certificate (PEM). */
  clientCertPem: pulumi.Input<string>;
  /** Admin client private key (PEM); only ever passed through the environment, as a secret. */
  clientKeyPem: pulumi.Input<string>;
  /** Control-plane nodes that must be Ready. */
  masterCount: pulumi.Input<number>;
  /** Worker pools and the Ready nodes each must have (normally its minSize). */
  pools: pulumi.Input<pulumi.Input<ReadinessGatePool>[]>;
  /** Overall bound in minutes (default `READINESS_GATE_DEFAULTS.timeoutMinutes`). */
  timeoutMinutes?: number;
  /** Seconds between polls (default `READINESS_GATE_POLL_SECONDS`). */
  pollSeconds?: pulumi.Input<number>;
  /** Resources that must exist first: the API load balancer and every autoscaling group. */
  waitFor: pulumi.Input<pulumi.Resource>[];
  /**
   * Values whose change should re-run the gate on `pulumi up` (e.g. launch template versions,
   * ASG ids): a rollout is then only reported done once the cluster is Ready again.
   */
  rerunWhen?: pulumi.Input<string>[];
}

const SCRIPT = path.resolve(__dirname, "../scripts/readiness-gate.sh");
const COMMON = path.resolve(__dirname, "../cloud-init/lib/common.sh");

/**
 * The gate's bash program: common.sh followed by readiness-gate.sh, passed inline so the
 * command's inputs do not depend on where this repository is checked out (a path would
 * make every machine see a diff). It changes only when the scripts change.
 */
export function readinessGateProgram(): string {
  return `${fs.readFileSync(COMMON, "utf8")}\n${fs.readFileSync(SCRIPT, "utf8")}`;
}

/** `name=min,name=min` as the script's K8SHA_GATE_POOLS. */
export function poolSpec(pools: ReadinessGatePool[]): string {
  return pools.map((p) => `${p.name}=${p.minReady}`).join(",");
}

/**
 * Makes `pulumi up` finish only when the cluster works: the API answers `/readyz` through the
 * load balancer and every master and each pool's minimum of workers are Ready. Runs
 * scripts/readiness-gate.sh on the operator's machine with @pulumi/command; certificates and
 * the admin key reach it as secret environment variables, never on a command line.
 * Construct it only when the gate is enabled.
 */
export class ReadinessGate extends pulumi.ComponentResource {
  /** The gate's progress lines (the last one says what passed). */
  public readonly report: pulumi.Output<string>;

  constructor(name: string, args: ReadinessGateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:gate:ReadinessGate", name, {}, opts);
    const timeoutMinutes = args.timeoutMinutes ?? READINESS_GATE_DEFAULTS.timeoutMinutes;
    const environment = pulumi.secret(
      pulumi
        .all([
          args.server,
          args.caCertPem,
          args.clientCertPem,
          args.clientKeyPem,
          args.masterCount,
          pulumi.output(args.pools),
          args.pollSeconds ?? READINESS_GATE_POLL_SECONDS,
        ])
        .apply(([server, ca, cert, key, masters, pools, poll]) => ({
          K8SHA_GATE_SERVER: server,
          K8SHA_GATE_CA_PEM: ca,
          K8SHA_GATE_CERT_PEM: cert,
          K8SHA_GATE_KEY_PEM: key,
          K8SHA_GATE_MASTERS: String(masters),
          K8SHA_GATE_POOLS: poolSpec(pools),
          K8SHA_GATE_POOL_LABEL: POOL_LABEL,
          K8SHA_GATE_TIMEOUT_SECONDS: String(timeoutMinutes * 60),
          K8SHA_GATE_INTERVAL_SECONDS: String(poll),
        })),
    );
    const gate = new command.local.Command(
      `${name}-wait`,
      {
        interpreter: ["/bin/bash", "-c"],
        create: readinessGateProgram(),
        environment,
        triggers: [args.masterCount, pulumi.output(args.pools).apply(poolSpec), ...(args.rerunWhen ?? [])],
      },
      {
        parent: this,
        dependsOn: args.waitFor,
        // The script bounds itself; this only stops a hung process from blocking `pulumi up` forever.
        customTimeouts: { create: `${timeoutMinutes + 5}m`, update: `${timeoutMinutes + 5}m` },
      },
    );
    this.report = gate.stdout;
    this.registerOutputs({ report: this.report });
  }
}
