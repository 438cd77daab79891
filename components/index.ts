/**
 * Public API of `k8s-ha-aws`: every component and its Args, the config shapes the Cluster
 * takes, the defaults and the tag conventions. Another Pulumi TypeScript project imports
 * from here (`import { Cluster } from "k8s-ha-aws"`); package.json points `types`/`exports` at
 * the compiled copy of this file (`main` is the multi-language entry, provider/index.ts).
 * See docs/used-by.md.
 */

export * from "../base/aws";
export * from "../base/kubeadm";
export * from "../base/metrics";
export * from "../base/nodePaths";
export * from "../base/ports";
export * from "../base/ssmPaths";
export {
  baseTags,
  clusterOwnershipTag,
  TAG_BOOT_STATUS,
  TAG_CLUSTER,
  TAG_ETCD_MEMBER,
  TAG_KUBERNETES_VERSION,
  TAG_NODE_SPEC,
  TAG_ROLE,
} from "../base/tags";
export * from "../config/defaults";
/** Validates and defaults stack-style values (`k8s-ha:*` keys, JSON strings) without pulumi.Config. */
export { ConfigError, parseConfig } from "../config/load";
/** Validates and defaults a cluster input object (what `Cluster` does with its args). */
export { isResolvedSpec, resolveClusterSpec } from "../config/resolve";
export { checkTopologyChange, type TopologyChange, TopologyChangeError } from "../config/topologyChange";
// --- shapes, defaults and conventions --------------------------------------------------------
export type {
  ApiConfig,
  ApiExposure,
  BackupConfig,
  ClusterInput,
  ClusterSpec,
  CniConfig,
  CniProvider,
  EtcdConfig,
  EtcdVolumeConfig,
  EtcdVolumeType,
  ExistingVpcConfig,
  LeaderElectionConfig,
  MastersConfig,
  MonitoringConfig,
  NatGatewayMode,
  ReadinessGateConfig,
  RollingConfig,
  Taint,
  TaintEffect,
  WorkerPoolConfig,
} from "../config/types";
/**
 * The upgrade guard's rule (pure): allowed are a new cluster, the same version, a newer patch or
 * the next minor. A project that builds `Cluster` itself awaits `guardKubernetesUpgrade` first.
 */
export {
  checkUpgradePath,
  type UpgradePath,
  UpgradePathError,
  upgradePathProblem,
} from "../config/upgradePath";
/** Network load balancer on 6443 with an HTTPS /readyz health check, public or internal. */
export { ApiLoadBalancer, type ApiLoadBalancerArgs } from "./apiLoadBalancer";
/** A role's boot scripts as a sha256-verified, content-addressed S3 object nodes fetch at boot. */
export { BootBundle, type BootBundleArgs, type BootBundleRefArgs } from "./bootBundle";
/** The kubeadm bootstrap token (`[a-z0-9]{6}.[a-z0-9]{16}`), kept only in SSM. */
export { BOOTSTRAP_TOKEN_PATTERN, BootstrapToken, type BootstrapTokenArgs } from "./bootstrapToken";
// --- the whole cluster ---------------------------------------------------------------------
/** A complete HA cluster: network, PKI, API load balancer, masters, workers, backups, gate. */
export { Cluster, type ClusterArgs } from "./cluster";
/** Private, versioned, encrypted S3 bucket for etcd snapshots with kops-style retention. */
export { ClusterBucket, type ClusterBucketArgs } from "./clusterBucket";
/** What a Cluster exports (`cluster.outputs`): endpoint, kubeconfig (secret), ASG names, ... */
export { type ClusterOutputs, clusterOutputs } from "./clusterOutputs";
/** KMS key and SSM SecureString parameters holding the PKI and join material nodes fetch at boot. */
export { ClusterSecrets, type ClusterSecretsArgs } from "./clusterSecrets";
/**
 * The topology guard for programs that build `Cluster` themselves: `await guardEtcdTopology(spec)`
 * before `new Cluster(...)`; its rule (pure) is `checkTopologyChange`.
 */
export { deployedEtcdTopology, guardEtcdTopology } from "./clusterState";
/** One master per zone (odd count), the init/join roles and their shared settings. */
export { ControlPlane, type ControlPlaneArgs } from "./controlPlane";
/** Instance role + profile for one node role, policies scoped by cluster tags. */
export { NodeRole, type NodeRoleArgs } from "./iam/nodeRole";
/** The admin kubeconfig (a secret Output) built from the cluster CA and an admin client cert. */
export { type AdminKubeconfigArgs, adminKubeconfig } from "./kubeconfig";
/** Alarm topic (customer KMS key), alarms, ASG launch-failure rule and dashboard of a cluster. */
export { Monitoring, type MonitoringArgs } from "./monitoring/monitoring";
// --- building blocks, for projects that assemble their own cluster -------------------------
/** VPC with one public and one private subnet per zone, NAT (single or per zone), or an existing VPC. */
export { type ExistingVpcArgs, Network, type NetworkArgs, subnetLayout } from "./network";
/** One master: its ASG (min=max=1) pinned to a zone, and its encrypted etcd EBS volume there. */
export { Master, type MasterArgs, type MasterBackupArgs } from "./nodes/master";
/** A worker autoscaling group with a mixed on-demand/spot policy, labels and taints. */
export { WorkerPool, type WorkerPoolArgs } from "./nodes/workerPool";
/** Cluster CAs (Kubernetes, etcd, front-proxy) and the service-account key pair. */
export { ClusterPki, type ClusterPkiArgs } from "./pki";
/** Waits in `pulumi up` until the API answers and the expected nodes are Ready. */
export { ReadinessGate, type ReadinessGateArgs, type ReadinessGatePool } from "./readinessGate";
/**
 * Health-gated roll of one master (chained by ControlPlane), and the upgrade guard for programs
 * that build `Cluster` themselves: `await guardKubernetesUpgrade(spec)` before `new Cluster(...)`.
 */
export {
  deployedKubernetesVersion,
  guardKubernetesUpgrade,
  RollGate,
  type RollGateArgs,
} from "./rollGate";
/** Master and worker security groups with only the ports each role needs. */
export { SecurityGroups, type SecurityGroupsArgs } from "./securityGroups";
export * from "./tuning";
/** What `k8sha-validate` checks a cluster against: a stack output and an SSM parameter. */
export {
  VALIDATION_TARGET_KEYS,
  ValidationTarget,
  type ValidationTargetArgs,
  validationTargetText,
} from "./validationTarget";
