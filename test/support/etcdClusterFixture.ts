/** The plain values test/support/etcdClusterProgram.ts builds its EtcdCluster from, for the assertions. */
export const ETCD_PROGRAM = {
  clusterName: "unit",
  zones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
  subnetIds: ["subnet-a", "subnet-b", "subnet-c"],
  subnetCidrs: ["10.10.0.0/20", "10.10.16.0/20", "10.10.32.0/20"],
  securityGroupId: "sg-etcd",
  releaseSha256: "ab".repeat(32),
} as const;
