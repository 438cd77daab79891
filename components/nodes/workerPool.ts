import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AUTOSCALER_TAG, autoscalerTags } from "../../base/autoscaler";
import { POOL_LABEL } from "../../base/labels";
import { WORKER_DRAIN } from "../../base/workerDrain";
import { workerUserDataBase64 } from "../../cloud-init/render";
import type { NodeBootCommon } from "../../cloud-init/types";
import { WORKER_POOL_DEFAULTS } from "../../config/defaults";
import type { Taint } from "../../config/types";
import { workerGroupTags } from "../../config/validate-worker-tags";
import type { BootBundleRefArgs } from "../bootBundle";
import { WORKER_GROUP_DEFAULTS } from "../tuning";
import { createNodeGroup, type NodeGroup, type NodeGroupArgs } from "./nodeGroup";

export { AUTOSCALER_TAG, autoscalerTags, POOL_LABEL };

export interface WorkerPoolArgs {
  /** Cluster name (plain: tags and autoscaler discovery keys contain it). */
  clusterName: string;
  /** Pool name, a DNS label (plain: part of names, tags and the node label). */
  poolName: string;
  /**
   * Instance types, first preferred for on-demand. Plain, like `spotPercentage`: they decide
   * whether the ASG uses a mixed-instances policy at all.
   */
  instanceTypes?: string[];
  /** ASG minimum size (also the readiness gate's Ready-worker target for this pool). */
  minSize?: pulumi.Input<number>;
  /** ASG maximum size (cluster-autoscaler never scales above it). */
  maxSize?: pulumi.Input<number>;
  /** Initial size only: afterwards cluster-autoscaler owns it (see `ignoreChanges` below). */
  desiredCapacity?: pulumi.Input<number>;
  /** Percentage (0-100) of capacity above `onDemandBaseCapacity` bought as spot. */
  spotPercentage?: number;
  /** Instances always bought on demand before the spot share applies. */
  onDemandBaseCapacity?: pulumi.Input<number>;
  /** Encrypted gp3 root volume size in GiB. */
  rootVolumeGiB?: pulumi.Input<number>;
  /** Node labels (kubelet `--node-labels`); `k8sha.io/pool=<poolName>` is always added. */
  labels?: Record<string, string>;
  /** Node taints, registered at join. */
  taints?: Taint[];
  /** Private subnets, one per zone in zone order: the pool spans all of them. */
  subnetIds: pulumi.Input<string>[];
  /**
   * One ASG per subnet (zone) instead of one over all of them, each sized by `minSize`,
   * `maxSize`, `desiredCapacity` and `onDemandBaseCapacity` (sizes are per zone). The
   * cluster-autoscaler then scales the zone a pending pod needs (its EBS volume's), where a
   * group over every zone is one node template in its first zone only.
   */
  zonal?: boolean;
  /** AMI id (see `nodeImageId`). */
  imageId: pulumi.Input<string>;
  /** Keep the launch template's image id after creation: set when `imageId` was looked up, not configured. */
  keepImageId?: boolean;
  /** ARN of the KMS key of the root volume (`ebsKeyArn`). */
  ebsKmsKeyArn: pulumi.Input<string>;
  /** Instance profile of the shared worker role. */
  instanceProfileName: pulumi.Input<string>;
  /** The workers' security group(s). */
  securityGroupIds: pulumi.Input<string>[];
  /** Boot settings shared by every node; `apiEndpoint` is the API load balancer's DNS name. */
  boot: { [K in keyof NodeBootCommon]: pulumi.Input<NodeBootCommon[K]> };
  /** The worker role's boot bundle (`BootBundle` outputs); the instance role must be allowed to read its key. */
  bootBundle: BootBundleRefArgs;
  /**
   * IMDS hop limit (default `WORKER_GROUP_DEFAULTS.metadataHopLimit`, 1): only host processes
   * (kubelet, host-network add-ons) reach IMDS, so ordinary pods cannot borrow the worker role.
   */
  metadataHopLimit?: 1 | 2;
  /** Resources that must exist before a worker launches: the SSM join parameters and the `BootBundle`. */
  bootPrerequisites?: pulumi.Input<pulumi.Resource>[];
  /** Tags added to every resource. */
  tags?: Record<string, string>;
}

/** `<pool>-az<i>`: a zonal pool's group in the i-th zone (subnet order, which follows the zone list). */
export function zonalGroupName(poolResourceName: string, zoneIndex: number): string {
  return `${poolResourceName}-az${zoneIndex}`;
}

/** What one ASG of a pool needs besides its name and subnets: the same for every zone of a pool. */
type PoolGroupArgs = Omit<NodeGroupArgs, "placement"> & {
  placement: Omit<NodeGroupArgs["placement"], "subnetIds">;
};

/** Values in zone order as one comma-separated string (a single group: its value as it is). */
function commaJoined(values: pulumi.Output<string>[]): pulumi.Output<string> {
  return pulumi.all(values).apply((v) => v.join(","));
}

/**
 * One worker pool: a node group (hardened launch template, ASG) over every private subnet, or
 * with `zonal` one node group per subnet. Spot or several instance types use a mixed-instances
 * policy; a new launch-template version rolls each ASG with a Rolling instance refresh that
 * keeps 90% in service.
 */
export class WorkerPool extends pulumi.ComponentResource {
  /** The ASG's name; for a zonal pool every zone's, comma-separated in zone order. */
  public readonly asgName: pulumi.Output<string>;
  /** Every ASG of the pool: one, or one per zone in zone order. */
  public readonly asgNames: pulumi.Output<string>[];
  /** The ASG's ARN; for a zonal pool every zone's, comma-separated in zone order. */
  public readonly asgArn: pulumi.Output<string>;
  /** The launch template's id; for a zonal pool (one template per zone) comma-separated in zone order. */
  public readonly launchTemplateId: pulumi.Output<string>;
  /** Launch template version the ASG uses (changes trigger an instance refresh); zonal: comma-separated. */
  public readonly launchTemplateVersion: pulumi.Output<string>;

  constructor(name: string, args: WorkerPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k8sha:workers:WorkerPool", name, {}, opts);
    const d = WORKER_POOL_DEFAULTS;
    const instanceTypes = args.instanceTypes ?? [...d.instanceTypes];
    const spot = args.spotPercentage ?? d.spotPercentage;
    if (instanceTypes.length === 0) throw new Error(`worker pool ${args.poolName}: no instance types`);
    if (!Number.isInteger(spot) || spot < 0 || spot > 100) {
      throw new Error(`worker pool ${args.poolName}: spotPercentage must be 0-100, got ${spot}`);
    }
    if (args.subnetIds.length === 0) throw new Error(`worker pool ${args.poolName}: no subnets`);
    const labels = { ...args.labels, [POOL_LABEL]: args.poolName };
    const taints = args.taints ?? [];
    // The same tags the configuration counted against the ASG limits before any resource.
    const groupTags = workerGroupTags(args.clusterName, args.tags ?? {}, {
      name: args.poolName,
      labels: args.labels ?? {},
      taints,
    });
    const tags = groupTags.nodeTags;

    // gzip + base64; refused at preview time when it outgrows EC2's 16 KB.
    const userData = pulumi
      .all([pulumi.output(args.boot), pulumi.output(args.bootBundle)])
      .apply(([boot, bootBundle]) =>
        workerUserDataBase64({ ...boot, bootBundle, poolName: args.poolName, labels, taints }),
      );
    const mixed = spot > 0 || instanceTypes.length > 1;
    const group: PoolGroupArgs = {
      tags,
      launchTemplate: {
        imageId: args.imageId,
        instanceType: instanceTypes[0],
        instanceProfileName: args.instanceProfileName,
        securityGroupIds: args.securityGroupIds,
        userDataBase64: userData,
        rootVolumeGiB: args.rootVolumeGiB ?? d.rootVolumeGiB,
        metadataHopLimit: args.metadataHopLimit ?? WORKER_GROUP_DEFAULTS.metadataHopLimit,
        ebsKmsKeyArn: args.ebsKmsKeyArn,
      },
      keepImageId: args.keepImageId,
      placement: {
        minSize: args.minSize ?? d.minSize,
        maxSize: args.maxSize ?? d.maxSize,
        desiredCapacity: args.desiredCapacity ?? d.desiredCapacity,
      },
      mixedInstances: mixed
        ? {
            instanceTypes,
            onDemandBaseCapacity: args.onDemandBaseCapacity ?? d.onDemandBaseCapacity,
            spotPercentage: spot,
          }
        : undefined,
      healthCheckGraceSeconds: WORKER_GROUP_DEFAULTS.healthCheckGraceSeconds,
      capacityRebalance: spot > 0,
      instanceRefresh: {
        strategy: "Rolling",
        preferences: {
          minHealthyPercentage: WORKER_GROUP_DEFAULTS.minHealthyPercentage,
          instanceWarmup: String(WORKER_GROUP_DEFAULTS.instanceWarmupSeconds),
        },
      },
      // Read by cluster-autoscaler from the ASG only; instances do not need them.
      groupOnlyTags: groupTags.autoscalerTags,
      bootPrerequisites: args.bootPrerequisites,
      // cluster-autoscaler changes the desired capacity at run time; `pulumi up` must not undo it.
      ignoreChanges: ["desiredCapacity"],
    };

    // A pool that is not zonal keeps the names it always had (`<name>-lt`, `-asg`, `-drain`),
    // so existing ASGs are not replaced.
    const nodeGroups =
      (args.zonal ?? d.zonal)
        ? args.subnetIds.map((subnetId, i) => this.poolGroup(zonalGroupName(name, i), group, [subnetId]))
        : [this.poolGroup(name, group, args.subnetIds)];

    this.asgNames = nodeGroups.map((g) => g.group.name);
    this.asgName = commaJoined(this.asgNames);
    this.asgArn = commaJoined(nodeGroups.map((g) => g.group.arn));
    this.launchTemplateId = commaJoined(nodeGroups.map((g) => g.launchTemplate.id));
    this.launchTemplateVersion = commaJoined(nodeGroups.map((g) => g.launchTemplateVersion));
    this.registerOutputs({
      asgName: this.asgName,
      asgNames: this.asgNames,
      asgArn: this.asgArn,
      launchTemplateId: this.launchTemplateId,
      launchTemplateVersion: this.launchTemplateVersion,
    });
  }

  /** One node group of the pool over `subnetIds`, with its drain hook. */
  private poolGroup(name: string, args: PoolGroupArgs, subnetIds: pulumi.Input<string>[]): NodeGroup {
    const nodes = createNodeGroup(
      name,
      { ...args, placement: { ...args.placement, subnetIds } },
      { parent: this },
    );
    // Every termination (scale-in, instance refresh, rebalancing) waits for the masters' drain
    // (cloud-init/lib/worker-drain.sh), at most the heartbeat timeout past the last heartbeat:
    // then CONTINUE terminates it anyway. Its own resource, not the group's
    // `initialLifecycleHooks`, which AWS applies only when a group is created (existing pools
    // would never get it); a termination hook added after the first launches still applies to
    // every later termination.
    new aws.autoscaling.LifecycleHook(
      `${name}-drain`,
      {
        autoscalingGroupName: nodes.group.name,
        name: WORKER_DRAIN.hookName,
        lifecycleTransition: WORKER_DRAIN.lifecycleTransition,
        heartbeatTimeout: WORKER_DRAIN.heartbeatTimeoutSeconds,
        defaultResult: WORKER_DRAIN.defaultResult,
      },
      // A fixed name on its group: a replacement must delete the old hook first.
      { parent: this, deleteBeforeReplace: true },
    );
    return nodes;
  }
}
