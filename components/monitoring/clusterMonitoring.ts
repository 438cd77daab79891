import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../../config/types";
import type { ApiLoadBalancer } from "../apiLoadBalancer";
import { etcdNodeName } from "../etcd/etcdNode";
import { masterNodeName } from "../nodes/master";
import { Monitoring } from "./monitoring";

/** What `Cluster` has built by the time its alarms are added. */
export interface ClusterMonitoringParts {
  spec: ClusterSpec;
  accountId: pulumi.Input<string>;
  availabilityZones: pulumi.Input<string>[];
  apiLoadBalancer: ApiLoadBalancer;
  /** Every ASG of the cluster: masters, etcd nodes (external etcd), worker pools. */
  asgNames: pulumi.Input<string>[];
  tags: Record<string, string>;
}

/** The cluster's alarms, their topic and the dashboard (docs/monitoring.md), from the spec. */
export function createClusterMonitoring(
  name: string,
  parts: ClusterMonitoringParts,
  opts: pulumi.ComponentResourceOptions,
): Monitoring {
  const { spec, apiLoadBalancer } = parts;
  const masterCount = spec.masters.count;
  return new Monitoring(
    name,
    {
      clusterName: spec.clusterName,
      region: spec.region,
      accountId: parts.accountId,
      partition: aws.getPartitionOutput({}, { parent: opts.parent }).partition,
      masterCount,
      masterZones: parts.availabilityZones.slice(0, masterCount),
      masterAsgNames: Array.from({ length: masterCount }, (_, i) => masterNodeName(spec.clusterName, i)),
      ...(spec.etcd.topology === "external"
        ? {
            etcdNodes: {
              zones: parts.availabilityZones.slice(0, spec.etcd.members),
              asgNames: Array.from({ length: spec.etcd.members }, (_, i) =>
                etcdNodeName(spec.clusterName, i),
              ),
            },
          }
        : {}),
      asgNames: parts.asgNames,
      loadBalancerArnSuffix: apiLoadBalancer.loadBalancerArnSuffix,
      targetGroupArnSuffix: apiLoadBalancer.targetGroupArnSuffix,
      backupIntervalMinutes: spec.backup.intervalMinutes,
      emailSubscriptions: spec.monitoring.emailSubscriptions,
      httpsSubscriptions: spec.monitoring.httpsSubscriptions,
      tags: parts.tags,
    },
    opts,
  );
}
