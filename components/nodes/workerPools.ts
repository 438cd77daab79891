/**
 * Every worker pool of a cluster and the instance role they share, registered under the
 * cluster: one `WorkerPool` per `workerPools` entry, each given its whole config section
 * (`zonal` included: such a pool makes one ASG per private subnet).
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../../config/types";
import type { BootBundle } from "../bootBundle";
import { nodeImageId } from "./ami";
import { ebsKeyArn } from "./ebsKey";
import { workerInstanceRole } from "./instanceRole";
import { WorkerPool } from "./workerPool";

export interface WorkerPoolsArgs {
  /** The resolved cluster spec: name, region, version, pod and service CIDRs, the pools, tags. */
  spec: ClusterSpec;
  /** DNS name of the API load balancer the workers join through. */
  apiEndpoint: pulumi.Input<string>;
  /** SSM prefix and KMS key of the join parameters (`ClusterSecrets`). */
  secrets: { prefix: string; kmsKeyArn: pulumi.Input<string> };
  /** The worker role's boot bundle. */
  bundle: BootBundle;
  /** Resources that must exist before a worker launches (the join parameters' component). */
  prerequisites: pulumi.Input<pulumi.Resource>[];
  /** Private subnets, one per zone in zone order: each pool spans all of them (a zonal pool one ASG per zone). */
  subnetIds: pulumi.Input<string>[];
  /** The workers' security group. */
  securityGroupId: pulumi.Input<string>;
  /** Kubelets leave node initialisation to the AWS cloud-controller-manager (`cloud-provider: external`). */
  cloudControllerManager: boolean;
  /** Tags on every resource (the cluster's base tags). */
  tags: Record<string, string>;
}

/** The shared worker role (`<name>-workers-iam`) and the pools (`<name>-<pool>`), children of `parent`. */
export function createWorkerPools(
  name: string,
  args: WorkerPoolsArgs,
  parent: pulumi.Resource,
): WorkerPool[] {
  const { spec } = args;
  const role = workerInstanceRole(
    `${name}-workers-iam`,
    {
      policy: {
        clusterName: spec.clusterName,
        region: spec.region,
        accountId: aws.getCallerIdentityOutput({}, { parent }).accountId,
        partition: aws.getPartitionOutput({}, { parent }).partition,
        ssmPrefix: args.secrets.prefix,
        kmsKeyArn: args.secrets.kmsKeyArn,
        bootBundle: args.bundle.readScope,
      },
      tags: spec.tags,
    },
    { parent },
  );
  // `imageId` when configured; else looked up now and kept by each template (docs/workers.md "Node image").
  const imageId = nodeImageId({ imageId: spec.imageId }, { parent });
  const ebsKmsKeyArn = ebsKeyArn({ parent });
  return spec.workerPools.map(
    (pool) =>
      new WorkerPool(
        `${name}-${pool.name}`,
        {
          ...pool,
          clusterName: spec.clusterName,
          poolName: pool.name,
          subnetIds: args.subnetIds,
          imageId,
          keepImageId: spec.imageId === undefined,
          ebsKmsKeyArn,
          instanceProfileName: role.instanceProfileName,
          securityGroupIds: [args.securityGroupId],
          boot: {
            clusterName: spec.clusterName,
            region: spec.region,
            kubernetesVersion: spec.kubernetesVersion,
            apiEndpoint: args.apiEndpoint,
            ssmPrefix: args.secrets.prefix,
            podCidr: spec.network.podCidr,
            serviceCidr: spec.network.serviceCidr,
            cloudControllerManager: args.cloudControllerManager,
          },
          bootBundle: args.bundle.ref,
          bootPrerequisites: [...args.prerequisites, args.bundle],
          tags: args.tags,
        },
        { parent },
      ),
  );
}
