import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ROLL_GATE_POLL_SECONDS, rollGateProgram } from "../rollGate";

/** What an etcd node's gate checks besides etcd: the masters, from which it runs its checks. */
export interface EtcdRollGateMasters {
  /** Number of masters (the control-plane Nodes and API targets the preflight expects). */
  count: pulumi.Input<number>;
  /** Every master's ASG name, master 0 first (plain names: `masterNodeName`). */
  asgNames: pulumi.Input<string>[];
  /** The API load balancer's target group: an etcd node is rolled only while every target is healthy. */
  targetGroupArn: pulumi.Input<string>;
}

export interface EtcdRollGateArgs {
  /** AWS region of the cluster: the runner's AWS CLI calls go there. */
  region: pulumi.Input<string>;
  /** Cluster name (the tags the runner matches on). */
  clusterName: pulumi.Input<string>;
  /** 0-based index of the etcd member this gate rolls. */
  member: pulumi.Input<number>;
  /** Number of etcd members. */
  members: pulumi.Input<number>;
  /** This node's ASG name (`EtcdNode.asgName`). */
  asgName: pulumi.Input<string>;
  /**
   * Every etcd node's ASG name, member 0 first. Pass plain names (`etcdNodeName`), never ASG
   * outputs: gate i must not depend on the ASGs of later members, which depend on gate i.
   */
  etcdAsgNames: pulumi.Input<string>[];
  /** The masters the checks run on and look at. */
  masters: EtcdRollGateMasters;
  /** This member's stable private address (its peer and client URLs' host). */
  stableAddress: pulumi.Input<string>;
  /** This node's node-spec fingerprint (`EtcdNode.nodeSpec`), as its template tags the instance. */
  nodeSpec: pulumi.Input<string>;
  /** Where etcd snapshots go; absent: the runner skips the backup-age check. */
  backup?: { bucketName: pulumi.Input<string>; prefix: pulumi.Input<string> };
  /** Newest snapshot age, in minutes, the runner accepts before it touches the node. */
  backupMaxAgeMinutes: pulumi.Input<number>;
  /** Bound of this node's roll in minutes (plain: it also sets the command's own timeouts). */
  timeoutMinutes: number;
  /** Seconds between polls (default `ROLL_GATE_POLL_SECONDS`). */
  pollSeconds?: pulumi.Input<number>;
  /** What must exist first: this etcd node (its launch template and ASG). */
  waitFor: pulumi.Input<pulumi.Resource>[];
}

/**
 * Rolls one dedicated etcd node in `pulumi up` when its launch template changed
 * (scripts/roll-etcd-node.sh on the operator's machine): preflight twice from a master, etcd
 * leadership moved off the member, the instance replaced through its ASG (the replacement is the
 * same member on the same volume and address), the cluster validated twice again. It re-runs
 * only when the node-spec fingerprint changes; the EtcdCluster chains the gates and the masters'
 * gates follow the last one, so at most one etcd member or master is ever out.
 */
export class EtcdRollGate extends pulumi.ComponentResource {
  /** The runner's progress lines (the last one says what was done). */
  public readonly report: pulumi.Output<string>;

  constructor(name: string, args: EtcdRollGateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:etcd:EtcdRollGate", name, {}, opts);
    const backup = args.backup;
    const text = (value: pulumi.Input<number>) => pulumi.output(value).apply(String);
    const joined = (names: pulumi.Input<string>[]) => pulumi.all(names).apply((all) => all.join(","));
    // Plain facts of the graph only (no credentials): the runner uses the operator's AWS credentials.
    const environment: Record<string, pulumi.Input<string>> = {
      K8SHA_ROLL_REGION: args.region,
      K8SHA_ROLL_CLUSTER: args.clusterName,
      K8SHA_ROLL_MEMBER: text(args.member),
      K8SHA_ROLL_MEMBERS: text(args.members),
      K8SHA_ROLL_ASG: args.asgName,
      K8SHA_ROLL_ETCD_ASGS: joined(args.etcdAsgNames),
      K8SHA_ROLL_MASTERS: text(args.masters.count),
      K8SHA_ROLL_MASTER_ASGS: joined(args.masters.asgNames),
      K8SHA_ROLL_TARGET_GROUP_ARN: args.masters.targetGroupArn,
      K8SHA_ROLL_STABLE_ADDRESS: args.stableAddress,
      K8SHA_ROLL_NODE_SPEC: args.nodeSpec,
      K8SHA_ROLL_BACKUP_BUCKET: backup ? backup.bucketName : "",
      K8SHA_ROLL_BACKUP_PREFIX: backup ? backup.prefix : "",
      K8SHA_ROLL_BACKUP_MAX_AGE_MINUTES: text(args.backupMaxAgeMinutes),
      K8SHA_ROLL_TIMEOUT_SECONDS: String(args.timeoutMinutes * 60),
      K8SHA_ROLL_INTERVAL_SECONDS: text(args.pollSeconds ?? ROLL_GATE_POLL_SECONDS),
    };
    const roll = new command.local.Command(
      `${name}-run`,
      {
        interpreter: ["/bin/bash", "-c"],
        create: rollGateProgram("roll-etcd-node.sh"),
        environment,
        triggers: [args.nodeSpec],
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
