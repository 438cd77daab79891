/**
 * Least-privilege node policies as pure functions (plain strings in, typed documents out),
 * so tests and docs can inspect every statement without Pulumi.
 */
import { AWS_DEFAULT_PARTITION } from "../../base/aws";
import { etcdClusterMarkerUnder } from "../../base/ssmPaths";
import { TAG_CLUSTER, TAG_ROLE } from "../../base/tags";
import {
  allBackupStatements,
  assignStableAddressStatement,
  attachOwnEtcdVolumeStatements,
  type BackupLocation,
  ownMemberTags,
} from "./etcdMemberStatements";
import {
  addonManifestStatement,
  type BootBundleLocation,
  bootBundleStatement,
  bootLogStatement,
  denyParametersOutsideCluster,
  PARAMETER_READ_ACTIONS,
  putNodeMetricsStatement,
  sessionManagerStatement,
  tagBootStatusStatement,
} from "./nodeStatements";
import { validateReadStatements } from "./validateStatements";

export { type BootBundleLocation, normaliseS3Prefix, SESSION_MANAGER_ACTIONS } from "./nodeStatements";

import {
  type AccountScope,
  ec2InstancesArn,
  kmsDecryptViaSsm,
  type PolicyDocument,
  type PolicyStatement,
  ssmParameterArn,
} from "./policyDocument";

export interface MasterPolicyArgs extends AccountScope {
  /** Cluster name: the value of the cluster tag the EC2 conditions require. */
  clusterName: string;
  /**
   * ARN of THIS master's etcd volume: the only volume it may attach or detach. Absent: external
   * etcd, where a master attaches no volume and may read neither the etcd CA key nor write the
   * etcd nodes' bootstrap markers (`externalEtcdMasterDenials`).
   */
  etcdVolumeArn?: string;
  /** Where THIS master's stable address lives: its subnet and its etcd-member tag value. */
  stableAddress: { subnetId: string; member: string };
  /** SSM prefix `/k8sha/<cluster>` (ssmPrefix()). */
  ssmPrefix: string;
  /** The cluster's secrets KMS key (ClusterSecrets.kmsKeyArn). */
  kmsKeyArn: string;
  /** Optional etcd backup location. */
  backup?: BackupLocation;
  /**
   * The boot bundles: the master reads its bundle at boot. Their bucket is the cluster bucket,
   * where the master also reads the add-on manifests (`addonsManifestPrefix`).
   */
  bootBundle: BootBundleLocation;
}

export interface WorkerPolicyArgs extends AccountScope {
  /** Cluster name: the value of the cluster tag the instance conditions require. */
  clusterName: string;
  /** SSM prefix `/k8sha/<cluster>`. */
  ssmPrefix: string;
  /** The cluster's secrets KMS key (ClusterSecrets.kmsKeyArn), decryptable only via SSM. */
  kmsKeyArn: string;
  /** The boot bundles: the worker reads its bundle at boot. */
  bootBundle: BootBundleLocation;
}

/**
 * The drain handler (cloud-init/lib/worker-drain.sh, run by the etcd leader) completes and
 * heartbeats the termination hook of this cluster's worker ASGs only: both actions take the
 * group's tags as `autoscaling:ResourceTag/*`, so a master ASG or another cluster's group is
 * out of reach. DescribeAutoScalingGroups has no resource-level permissions: "*".
 */
function workerLifecycleStatements(args: MasterPolicyArgs): PolicyStatement[] {
  const groups = `arn:${args.partition ?? AWS_DEFAULT_PARTITION}:autoscaling:${args.region}:${args.accountId}:autoScalingGroup:*:autoScalingGroupName/*`;
  return [
    {
      Sid: "CompleteWorkerTermination",
      Effect: "Allow",
      Action: ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
      Resource: [groups],
      Condition: {
        StringEquals: {
          [`autoscaling:ResourceTag/${TAG_CLUSTER}`]: args.clusterName,
          [`autoscaling:ResourceTag/${TAG_ROLE}`]: "worker",
        },
      },
    },
    {
      Sid: "DescribeAutoScalingGroups",
      Effect: "Allow",
      Action: ["autoscaling:DescribeAutoScalingGroups"],
      Resource: "*",
    },
  ];
}

/**
 * External etcd: a master is only a client of the etcd nodes. It reads the etcd CA certificate and
 * its own client pair, never the etcd CA key (with it, any master could mint an etcd peer
 * certificate), and never writes the etcd nodes' bootstrap markers. Explicit denials, because
 * the cluster-wide read and state write above would otherwise include both.
 */
function externalEtcdMasterDenials(args: MasterPolicyArgs): PolicyStatement[] {
  return [
    {
      Sid: "DenyEtcdCaKey",
      Effect: "Deny",
      Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
      Resource: [ssmParameterArn(args, `${args.ssmPrefix}/pki/etcd-ca.key`)],
    },
    {
      Sid: "DenyEtcdNodeMarkers",
      Effect: "Deny",
      Action: ["ssm:PutParameter", "ssm:DeleteParameter"],
      Resource: [ssmParameterArn(args, `${etcdClusterMarkerUnder(args.ssmPrefix)}*`)],
    },
  ];
}

/** The inline policy of ONE master (one role per master, because each owns one etcd volume). */
export function masterPolicyDocument(args: MasterPolicyArgs): PolicyDocument {
  const instances = ec2InstancesArn(args);
  const identity = {
    clusterName: args.clusterName,
    role: "master",
    member: args.stableAddress.member,
  } as const;
  const statements: PolicyStatement[] = [
    ...(args.etcdVolumeArn
      ? attachOwnEtcdVolumeStatements(identity, args.etcdVolumeArn, instances)
      : externalEtcdMasterDenials(args)),
    assignStableAddressStatement(args, identity, args.stableAddress.subnetId),
    ...workerLifecycleStatements(args),
    tagBootStatusStatement(args.clusterName, instances, ownMemberTags(identity)),
    {
      Sid: "ReadClusterParameters",
      Effect: "Allow",
      Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
      Resource: [ssmParameterArn(args, `${args.ssmPrefix}/*`)],
    },
    {
      // The initialised marker / init lock. It is a plain String, so no kms:Encrypt is needed.
      Sid: "WriteClusterState",
      Effect: "Allow",
      Action: ["ssm:PutParameter"],
      Resource: [ssmParameterArn(args, `${args.ssmPrefix}/state/*`)],
    },
    denyParametersOutsideCluster(args, args.ssmPrefix),
    kmsDecryptViaSsm("DecryptClusterParameters", args, args.kmsKeyArn, `${args.ssmPrefix}/*`),
    bootBundleStatement(args.bootBundle),
    // The add-on manifests lie in the same cluster bucket as the boot bundles.
    addonManifestStatement(args.bootBundle.bucketArn, args.clusterName),
    ...allBackupStatements(args, args.kmsKeyArn, args.backup),
    sessionManagerStatement(),
    // `k8sha-validate --on-master`: the target group's health and the cluster's alarms, read-only.
    ...validateReadStatements(args, args.clusterName),
    putNodeMetricsStatement(),
    bootLogStatement(args.bootBundle.bucketArn, args.clusterName, "master"),
  ];
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * The inline policy of the worker role: read its boot bundle and the join values, tag its boot
 * status, report a failed boot (metric, log tail), nothing else. kubelet/CCM
 * EC2 permissions (ec2:Describe*, ELB) are not granted: the in-tree cloud provider is gone
 * and no external AWS cloud-controller-manager is installed yet (docs/security.md).
 */
export function workerPolicyDocument(args: WorkerPolicyArgs): PolicyDocument {
  const masterOnly = [`${args.ssmPrefix}/pki`, `${args.ssmPrefix}/pki/*`, `${args.ssmPrefix}/state/*`];
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadJoinParameters",
        Effect: "Allow",
        Action: ["ssm:GetParameter"],
        Resource: [ssmParameterArn(args, `${args.ssmPrefix}/join/*`)],
      },
      {
        // The KMS condition below already stops decryption; this explicit deny also hides the
        // ciphertext and metadata of master-only parameters, whatever else the role is given.
        Sid: "DenyMasterOnlyParameters",
        Effect: "Deny",
        Action: PARAMETER_READ_ACTIONS,
        Resource: masterOnly.map((path) => ssmParameterArn(args, path)),
      },
      denyParametersOutsideCluster(args, args.ssmPrefix),
      kmsDecryptViaSsm("DecryptJoinParameters", args, args.kmsKeyArn, `${args.ssmPrefix}/join/*`),
      bootBundleStatement(args.bootBundle),
      tagBootStatusStatement(args.clusterName, ec2InstancesArn(args), {
        [`aws:ResourceTag/${TAG_ROLE}`]: "worker",
      }),
      sessionManagerStatement(),
      // A failed boot's report: BootFailed in the project's namespace, its log tail.
      putNodeMetricsStatement(),
      bootLogStatement(args.bootBundle.bucketArn, args.clusterName, "worker"),
    ],
  };
}
