import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { POOL_LABEL } from "../base/labels";
import { validationParameterName } from "../base/ssmPaths";

/** A worker pool as `k8sha-validate` checks it. */
export interface ValidationPool {
  /** The pool's name (its Nodes carry `k8sha.io/pool=<name>`). */
  name: string;
  /** Ready Nodes it must have: its minSize times its ASGs (one per zone when zonal). */
  minimumReady: number;
  /** Its ASGs: their instances' boot-status tags are checked. */
  asgNames: pulumi.Input<string>[];
}

/**
 * The pools as validate checks them: pool i of the spec built as `groups[i]`, which must have
 * minSize Ready Nodes per ASG (one ASG per zone for a zonal pool).
 */
export function poolsToValidate(
  pools: readonly { name: string; minSize: number }[],
  groups: readonly { asgNames: pulumi.Output<string>[] }[],
): ValidationPool[] {
  return pools.map((p, i) => {
    const group = groups[i];
    if (!group) throw new Error(`worker pool ${p.name} was not built`);
    return { name: p.name, minimumReady: p.minSize * group.asgNames.length, asgNames: group.asgNames };
  });
}

/** Everything `k8sha-validate` (scripts/k8sha-validate.sh) checks a cluster against. */
export interface ValidationTargetArgs {
  /** The cluster's name (the CLUSTER line; the SSM parameter lies under its prefix). */
  clusterName: string;
  /** The cluster's region: where `k8sha-validate` sends its AWS calls. */
  region: string;
  /** Masters, hence etcd members and control-plane Nodes, the cluster must have. */
  masterCount: number;
  /** One ASG per master, master 0 first. */
  masterAsgNames: pulumi.Input<string>[];
  /** External etcd: one ASG per etcd node, member 0 first (each needs an instance in service); absent when stacked. */
  etcdAsgNames?: pulumi.Input<string>[];
  /** The API load balancer's target group: every master must be healthy in it. */
  targetGroupArn: pulumi.Input<string>;
  /** Where the etcd snapshots lie, and how old the newest may be. */
  backup: { bucketName: pulumi.Input<string>; prefix: pulumi.Input<string>; maxAgeMinutes: number };
  /** The alarms' name prefix; none when monitoring is off. */
  alarmNamePrefix?: string;
  /** The worker pools, each with its minimum of Ready Nodes. */
  pools: ValidationPool[];
  /** Tags of the SSM parameter. */
  tags: Record<string, string>;
}

/** The keys of the target, in the order written; the script accepts exactly these. */
export const VALIDATION_TARGET_KEYS = [
  "CLUSTER",
  "REGION",
  "MASTERS",
  "MASTER_ASGS",
  "TARGET_GROUP_ARN",
  "BACKUP_BUCKET",
  "BACKUP_PREFIX",
  "BACKUP_MAX_AGE_MINUTES",
  "ALARM_PREFIX",
  "POOL_LABEL",
  "POOLS",
  "POOL_ASGS",
  "ETCD_ASGS",
] as const;

type TargetKey = (typeof VALIDATION_TARGET_KEYS)[number];

/** ALARM_PREFIX when monitoring is off: the script then checks no alarms. */
const NO_ALARMS = "";

/** The `KEY=value` lines of a target (every value is an AWS name, ARN or number: no quoting). */
export function validationTargetText(values: Record<TargetKey, string>): string {
  return VALIDATION_TARGET_KEYS.map((k) => `${k}=${values[k]}`)
    .join("\n")
    .concat("\n");
}

/**
 * The validation target as text (a stack output) and as the SSM parameter a master reads
 * (`validationParameterName`), so `npm run validate -- <stack>` and `k8sha-validate` on a master
 * check the same things. Not a secret: names and ARNs only.
 */
export class ValidationTarget extends pulumi.ComponentResource {
  /** The target's `KEY=value` lines. */
  public readonly text: pulumi.Output<string>;
  /** The SSM parameter's name. */
  public readonly parameterName: string;

  constructor(name: string, args: ValidationTargetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:validate:ValidationTarget", name, {}, opts);
    const poolAsgs = args.pools.flatMap((p) => p.asgNames);
    this.text = pulumi
      .all([
        pulumi.all(args.masterAsgNames),
        pulumi.output(args.targetGroupArn),
        pulumi.output(args.backup.bucketName),
        pulumi.output(args.backup.prefix),
        pulumi.all(poolAsgs),
        pulumi.all(args.etcdAsgNames ?? []),
      ])
      .apply(([masterAsgs, targetGroupArn, bucket, prefix, poolAsgNames, etcdAsgs]) =>
        validationTargetText({
          CLUSTER: args.clusterName,
          REGION: args.region,
          MASTERS: String(args.masterCount),
          MASTER_ASGS: masterAsgs.join(","),
          TARGET_GROUP_ARN: targetGroupArn,
          BACKUP_BUCKET: bucket,
          BACKUP_PREFIX: prefix,
          BACKUP_MAX_AGE_MINUTES: String(args.backup.maxAgeMinutes),
          ALARM_PREFIX: args.alarmNamePrefix === undefined ? NO_ALARMS : args.alarmNamePrefix,
          POOL_LABEL,
          POOLS: args.pools.map((p) => `${p.name}=${p.minimumReady}`).join(","),
          POOL_ASGS: poolAsgNames.join(","),
          ETCD_ASGS: etcdAsgs.join(","),
        }),
      );
    this.parameterName = validationParameterName(args.clusterName);
    new aws.ssm.Parameter(
      `${name}-parameter`,
      {
        name: this.parameterName,
        description: "What k8sha-validate checks this cluster against",
        type: "String",
        // Not a secret: `insecureValue` keeps it readable in diffs.
        insecureValue: this.text,
        tags: args.tags,
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({ text: this.text, parameterName: this.parameterName });
  }
}
