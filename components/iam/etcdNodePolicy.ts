/**
 * The inline policy of ONE dedicated etcd node (external topology), as a pure function like the
 * master and worker policies: one role per member, because each owns one etcd volume and one
 * stable address. An etcd node runs no kubelet and no kubeadm, so it gets none of the masters'
 * Kubernetes permissions: no add-on manifests, no worker lifecycle, no join values, no cluster
 * CA; of the PKI only the etcd CA, from which it makes its own server and peer certificates.
 */
import { etcdClusterMarkerUnder, parameterNamesUnder } from "../../base/ssmPaths";
import {
  allBackupStatements,
  assignStableAddressStatement,
  attachOwnEtcdVolumeStatements,
  type BackupLocation,
  type EtcdMemberIdentity,
  ownMemberTags,
} from "./etcdMemberStatements";
import {
  type BootBundleLocation,
  bootBundleStatement,
  bootLogStatement,
  denyParametersOutsideCluster,
  PARAMETER_READ_ACTIONS,
  putNodeMetricsStatement,
  sessionManagerStatement,
  tagBootStatusStatement,
} from "./nodeStatements";
import {
  type AccountScope,
  ec2InstancesArn,
  kmsDecryptViaSsm,
  type PolicyDocument,
  ssmParameterArn,
} from "./policyDocument";

export interface EtcdNodePolicyArgs extends AccountScope {
  /** Cluster name: the value of the cluster tag the EC2 conditions require. */
  clusterName: string;
  /** ARN of THIS member's etcd volume: the only volume it may attach or detach. */
  etcdVolumeArn: string;
  /** Where THIS member's stable address lives: its subnet and its etcd-member tag value. */
  stableAddress: { subnetId: string; member: string };
  /** SSM prefix `/k8sha/<cluster>` (ssmPrefix()). */
  ssmPrefix: string;
  /** The cluster's secrets KMS key (ClusterSecrets.kmsKeyArn): the etcd CA is encrypted with it. */
  kmsKeyArn: string;
  /** Where snapshots go, when backups are on. */
  backup?: BackupLocation;
  /** The boot bundles: the node reads its own role's bundle at boot. */
  bootBundle: BootBundleLocation;
}

/**
 * The only parameters an etcd node reads (the etcd CA, certificate and key, and the state tree)
 * and the only ones it writes: the etcd cluster's marker and the members' bootstrap markers
 * (`<marker>-member-<i>`, lib/etcd-node-join.sh), never the masters' `state/initialised`.
 */
export function etcdNodeParameterPaths(ssmPrefix: string): {
  etcdCa: string[];
  state: string;
  writable: string;
} {
  const names = parameterNamesUnder(ssmPrefix);
  return {
    etcdCa: [names.pki["etcd-ca.crt"], names.pki["etcd-ca.key"]],
    state: `${names.stateDir}/*`,
    writable: `${etcdClusterMarkerUnder(ssmPrefix)}*`,
  };
}

export function etcdNodePolicyDocument(args: EtcdNodePolicyArgs): PolicyDocument {
  const instances = ec2InstancesArn(args);
  const identity: EtcdMemberIdentity = {
    clusterName: args.clusterName,
    role: "etcd",
    member: args.stableAddress.member,
  };
  const paths = etcdNodeParameterPaths(args.ssmPrefix);
  const readable = [...paths.etcdCa, paths.state].map((path) => ssmParameterArn(args, path));
  return {
    Version: "2012-10-17",
    Statement: [
      ...attachOwnEtcdVolumeStatements(identity, args.etcdVolumeArn, instances),
      assignStableAddressStatement(args, identity, args.stableAddress.subnetId),
      tagBootStatusStatement(args.clusterName, instances, ownMemberTags(identity)),
      {
        Sid: "ReadEtcdCa",
        Effect: "Allow",
        Action: ["ssm:GetParameter", "ssm:GetParameters"],
        Resource: paths.etcdCa.map((path) => ssmParameterArn(args, path)),
      },
      {
        // The state tree: read at boot (the etcd markers, which decide new or join).
        Sid: "ReadClusterState",
        Effect: "Allow",
        Action: ["ssm:GetParameter", "ssm:GetParameters"],
        Resource: [ssmParameterArn(args, paths.state)],
      },
      {
        // Written once each: the cluster marker by the first member that served with quorum, a
        // member's bootstrap marker before its first start. Plain Strings: no kms:Encrypt.
        Sid: "WriteEtcdMarkers",
        Effect: "Allow",
        Action: ["ssm:PutParameter"],
        Resource: [ssmParameterArn(args, paths.writable)],
      },
      denyParametersOutsideCluster(args, args.ssmPrefix),
      {
        // Inside the cluster prefix too, nothing but the above is readable, whatever else the
        // role is given later (AmazonSSMManagedInstanceCore attached by hand): not the cluster
        // CA key, the service-account key or the join token.
        Sid: "DenyParametersBeyondEtcd",
        Effect: "Deny",
        Action: PARAMETER_READ_ACTIONS,
        NotResource: readable,
      },
      // The state parameters are plain Strings: only the etcd CA needs the key.
      kmsDecryptViaSsm("DecryptEtcdCaParameters", args, args.kmsKeyArn, paths.etcdCa),
      ...allBackupStatements(args, args.kmsKeyArn, args.backup),
      bootBundleStatement(args.bootBundle),
      sessionManagerStatement(),
      putNodeMetricsStatement(),
      bootLogStatement(args.bootBundle.bucketArn, args.clusterName, "etcd"),
    ],
  };
}
