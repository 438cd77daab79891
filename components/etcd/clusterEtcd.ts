import type * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../../config/types";
import type { BootBundle } from "../bootBundle";
import type { ClusterSecrets } from "../clusterSecrets";
import type { Network } from "../network";
import { masterNodeName } from "../nodes/master";
import type { SecurityGroups } from "../securityGroups";
import { EtcdCluster } from "./etcdCluster";

/** What `Cluster` has built by the time the etcd nodes of the external topology are added. */
export interface ClusterEtcdParts {
  spec: ClusterSpec;
  network: Network;
  securityGroups: SecurityGroups;
  secrets: ClusterSecrets;
  /** The etcd role's boot bundle (`createBootBundles(..., true).etcd`); absent with stacked etcd. */
  bundle?: BootBundle;
  bucket: { bucketName: pulumi.Input<string>; bucketArn: pulumi.Input<string>; prefix: string };
  /** The API load balancer's target group: the etcd nodes' roll gates require every API target healthy. */
  apiTargetGroupArn: pulumi.Input<string>;
  tags: Record<string, string>;
}

/**
 * The dedicated etcd nodes of `etcd.topology: external`, from the resolved spec; undefined with
 * stacked etcd. Config validation has already required the release and its digest; a spec
 * without them here is a programming error, said by name.
 */
export function createClusterEtcd(
  name: string,
  parts: ClusterEtcdParts,
  opts: pulumi.ComponentResourceOptions,
): EtcdCluster | undefined {
  const { spec, network, securityGroups, secrets, bundle, bucket, apiTargetGroupArn, tags } = parts;
  if (spec.etcd.topology !== "external") return undefined;
  if (!bundle) throw new Error("etcd.topology external: no boot bundle for the etcd role was made");
  const etcd = spec.etcd;
  const { version, releaseSha256, instanceType, rootVolumeGiB } = etcd;
  if (!version || !releaseSha256 || !instanceType || rootVolumeGiB === undefined)
    throw new Error("etcd.topology external: the resolved spec lacks the etcd release or the node settings");
  if (!securityGroups.etcdSecurityGroupId)
    throw new Error("etcd.topology external: the security groups were built without the etcd group");
  return new EtcdCluster(
    name,
    {
      clusterName: spec.clusterName,
      members: etcd.members,
      etcdVolume: etcd.volume,
      instanceType,
      rootVolumeGiB,
      imageId: spec.imageId,
      securityGroupIds: [securityGroups.etcdSecurityGroupId],
      availabilityZones: network.availabilityZones,
      privateSubnetIds: network.privateSubnetIds,
      privateSubnetCidrs: network.privateSubnetCidrs,
      ssmPrefix: secrets.prefix,
      kmsKeyArn: secrets.kmsKeyArn,
      boot: {
        region: spec.region,
        etcdVersion: version,
        etcdReleaseSha256: releaseSha256,
        etcd: {
          heartbeatIntervalMs: etcd.heartbeatIntervalMs,
          electionTimeoutMs: etcd.electionTimeoutMs,
          quotaBackendGiB: etcd.quotaBackendGiB,
        },
      },
      backup: { ...bucket, intervalMinutes: spec.backup.intervalMinutes },
      bootBundle: { ...bundle.ref, bucketArn: bucket.bucketArn },
      // No etcd node may boot before the etcd CA in SSM and its bundle exist.
      bootPrerequisites: [secrets, bundle],
      rolling: spec.rolling,
      region: spec.region,
      rollingMasters: {
        count: spec.masters.count,
        asgNames: Array.from({ length: spec.masters.count }, (_, i) => masterNodeName(spec.clusterName, i)),
        targetGroupArn: apiTargetGroupArn,
      },
      tags,
    },
    opts,
  );
}
