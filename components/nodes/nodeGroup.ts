import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { rootVolumeTags } from "../../base/nodeTags";
import { createHardenedLaunchTemplate, type HardenedLaunchTemplateArgs } from "./launchTemplate";
import { type MixedInstancesArgs, mixedInstancesPolicy } from "./mixedInstances";

/** How many instances a group runs, where, and how AWS replaces them (see `pinnedToZone`). */
export interface NodeGroupPlacement {
  /** ASG minimum size. */
  minSize: pulumi.Input<number>;
  /** ASG maximum size. */
  maxSize: pulumi.Input<number>;
  /** ASG desired capacity at creation. */
  desiredCapacity: pulumi.Input<number>;
  /** Subnets the ASG launches into: one subnet pins the group to that subnet's zone. */
  subnetIds: pulumi.Input<string>[];
  /** Order of launch and terminate on rebalancing and maintenance; absent leaves AWS's default. */
  instanceMaintenancePolicy?: aws.types.input.autoscaling.GroupInstanceMaintenancePolicy;
}

export interface NodeGroupArgs {
  /**
   * The nodes' tags (`nodeTags`): on the launch template, on every instance, volume and
   * network interface it launches, and on the ASG, which propagates them at launch too.
   */
  tags: Record<string, string>;
  /** The hardened launch template's settings (its tags are `tags`, the root volume's `rootVolumeTags`). */
  launchTemplate: Omit<HardenedLaunchTemplateArgs, "tags" | "rootVolumeTags">;
  /**
   * Keep the template's image id as first created (`ignoreChanges: ["imageId"]`): for an image
   * looked up at deploy time, so a new Canonical release does not roll the nodes by itself.
   */
  keepImageId?: boolean;
  /** Size, subnets and replacement order. */
  placement: NodeGroupPlacement;
  /** Several instance types and a spot share; absent: the ASG launches the template's own type. */
  mixedInstances?: MixedInstancesArgs;
  /**
   * A fixed ASG name; absent lets Pulumi derive a unique one. A fixed name is taken until the
   * old group is gone, so the group is then replaced delete-before-create.
   */
  groupName?: string;
  /** Seconds after launch before EC2 health checks count: first boot (kubeadm) must fit in it. */
  healthCheckGraceSeconds: number;
  /** Load balancer target groups the ASG registers its instances with. */
  targetGroupArns?: pulumi.Input<string>[];
  /** Launch a replacement when AWS signals an interruption risk for a spot instance, before the reclaim. */
  capacityRebalance?: boolean;
  /** Rolls the group when the template changes; absent: a new version reaches only later launches. */
  instanceRefresh?: aws.types.input.autoscaling.GroupInstanceRefresh;
  /** Tags on the ASG alone, not propagated (e.g. cluster-autoscaler's, which it reads from the ASG). */
  groupOnlyTags?: Record<string, string>;
  /**
   * Resources that must exist before the template and any instance: the SSM parameters a node
   * reads at boot and its boot bundle.
   */
  bootPrerequisites?: pulumi.Input<pulumi.Resource>[];
  /** Resources only the ASG waits for, e.g. an address reservation the boot assigns from. */
  groupDependsOn?: pulumi.Input<pulumi.Resource>[];
  /** ASG properties `pulumi up` leaves alone after creation (e.g. a capacity an autoscaler owns). */
  ignoreChanges?: string[];
  /**
   * ASG group metrics published to CloudWatch every minute (e.g. `GroupInServiceInstances`, which
   * the monitoring alarms read); absent: none (group metrics are off by default on an ASG).
   */
  enabledMetrics?: aws.types.enums.autoscaling.Metric[];
}

/** Options of the group's resources; their dependencies and ignored changes come from `NodeGroupArgs`. */
export type NodeGroupOptions = Omit<pulumi.CustomResourceOptions, "dependsOn" | "ignoreChanges">;

/** What a node group registered. */
export interface NodeGroup {
  /** The hardened launch template. */
  launchTemplate: aws.ec2.LaunchTemplate;
  /** The template version the ASG launches: an explicit one, so a change is a visible diff. */
  launchTemplateVersion: pulumi.Output<string>;
  /** The autoscaling group. */
  group: aws.autoscaling.Group;
}

/** The ASG's tag list: `tags` propagated to instances at launch, `groupOnly` kept on the ASG. */
export function groupTags(
  tags: Record<string, string>,
  groupOnly: Record<string, string> = {},
): aws.types.input.autoscaling.GroupTag[] {
  const list = (from: Record<string, string>, propagateAtLaunch: boolean) =>
    Object.entries(from).map(([key, value]) => ({ key, value, propagateAtLaunch }));
  return [...list(tags, true), ...list(groupOnly, false)];
}

/**
 * The node skeleton every role shares, registered under the caller's `opts.parent` (no
 * component of its own, so names and URNs are the caller's): `<name>-lt`, a hardened launch
 * template, and `<name>-asg`, an ASG launching its explicit latest version. Health checks are
 * EC2's, never the load balancer's: when etcd loses quorum every API server fails `/readyz` at
 * once, and ELB health would have AWS terminate every master.
 */
export function createNodeGroup(name: string, args: NodeGroupArgs, opts: NodeGroupOptions): NodeGroup {
  const launchTemplate = createHardenedLaunchTemplate(
    `${name}-lt`,
    { ...args.launchTemplate, tags: args.tags, rootVolumeTags: rootVolumeTags(args.tags) },
    { ...opts, dependsOn: args.bootPrerequisites, ignoreChanges: args.keepImageId ? ["imageId"] : undefined },
  );
  const version = launchTemplate.latestVersion.apply(String);
  const templateRef = { id: launchTemplate.id, version };
  const dependsOn =
    args.groupDependsOn === undefined
      ? args.bootPrerequisites
      : [...(args.bootPrerequisites ?? []), ...args.groupDependsOn];
  const p = args.placement;

  const group = new aws.autoscaling.Group(
    `${name}-asg`,
    {
      name: args.groupName,
      minSize: p.minSize,
      maxSize: p.maxSize,
      desiredCapacity: p.desiredCapacity,
      vpcZoneIdentifiers: p.subnetIds,
      launchTemplate: args.mixedInstances ? undefined : templateRef,
      mixedInstancesPolicy: args.mixedInstances
        ? mixedInstancesPolicy(templateRef, args.mixedInstances)
        : undefined,
      targetGroupArns: args.targetGroupArns,
      capacityRebalance: args.capacityRebalance,
      healthCheckType: "EC2",
      healthCheckGracePeriod: args.healthCheckGraceSeconds,
      instanceMaintenancePolicy: p.instanceMaintenancePolicy,
      instanceRefresh: args.instanceRefresh,
      tags: groupTags(args.tags, args.groupOnlyTags),
      enabledMetrics: args.enabledMetrics,
      metricsGranularity: args.enabledMetrics ? "1Minute" : undefined,
    },
    {
      ...opts,
      dependsOn,
      ignoreChanges: args.ignoreChanges,
      deleteBeforeReplace: args.groupName !== undefined ? true : opts.deleteBeforeReplace,
    },
  );
  return { launchTemplate, launchTemplateVersion: version, group };
}
