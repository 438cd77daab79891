/**
 * A Pulumi program that builds one `EtcdCluster` on its own (no Cluster around it), for
 * synthesizeInCurrentRegistry: three members over three zones, backups on. The external topology
 * is not wired into the Cluster yet, so this is how its graph is tested.
 */
import { EtcdCluster } from "../../components/etcd/etcdCluster";
import { ETCD_PROGRAM } from "./etcdClusterFixture";

export = async (): Promise<Record<string, unknown>> => {
  const p = ETCD_PROGRAM;
  const etcd = new EtcdCluster("unit-etcd", {
    clusterName: p.clusterName,
    members: 3,
    availabilityZones: [...p.zones],
    privateSubnetIds: [...p.subnetIds],
    privateSubnetCidrs: [...p.subnetCidrs],
    etcdVolume: { type: "gp3", sizeGiB: 20, iops: 3000, throughputMiBps: 125 },
    instanceType: "m7i.large",
    rootVolumeGiB: 20,
    securityGroupIds: [p.securityGroupId],
    ssmPrefix: "/k8sha/unit",
    kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/secrets",
    boot: {
      region: "eu-west-1",
      etcdVersion: "3.6.5",
      etcdReleaseSha256: p.releaseSha256,
      etcd: { heartbeatIntervalMs: 100, electionTimeoutMs: 1000, quotaBackendGiB: 8 },
    },
    backup: {
      bucketArn: "arn:aws:s3:::unit-cluster",
      bucketName: "unit-cluster",
      prefix: "etcd/unit/",
      intervalMinutes: 30,
    },
    bootBundle: {
      bucket: "unit-cluster",
      key: `unit/boot/etcd-${"0".repeat(64)}.sh`,
      sha256: "0".repeat(64),
      bucketArn: "arn:aws:s3:::unit-cluster",
    },
    bootPrerequisites: [],
    tags: {},
  });
  return {
    clientEndpoints: etcd.clientEndpoints,
    stableAddresses: etcd.stableAddresses,
    asgNames: etcd.asgNames,
    etcdVolumeIds: etcd.etcdVolumeIds,
    roleArns: etcd.roleArns,
  };
};
