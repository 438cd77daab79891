/**
 * What the user-data renderers need to know about a node. Plain values (not Outputs):
 * components resolve their Outputs with `pulumi.all(...).apply(render)`.
 *
 * Nothing here is secret, by design: user-data is readable by anyone allowed
 * `ec2:DescribeInstanceAttribute`. Keys, certificates' private halves and the bootstrap
 * token are fetched from SSM Parameter Store at boot, under `ssmPrefix`.
 */
import type { CniConfig, LeaderElectionConfig, Taint } from "../config/types";

/** Settings shared by every node of a cluster. */
export interface NodeBootCommon {
  clusterName: string;
  region: string;
  /** `1.MINOR.PATCH`; packages come from pkgs.k8s.io's per-minor repository. */
  kubernetesVersion: string;
  /** DNS name of the API load balancer (without port). */
  apiEndpoint: string;
  /** SSM prefix, e.g. `/k8sha/dev`. */
  ssmPrefix: string;
  podCidr: string;
  serviceCidr: string;
  /**
   * The AWS cloud-controller-manager runs: every kubelet starts with `cloud-provider: external`
   * (it registers tainted uninitialized until the controller has set the Node's zone, addresses
   * and instance type) and the `provider-id` the controller looks the instance up by.
   */
  cloudControllerManager: boolean;
}

/**
 * Where a node's boot bundle lives (components/bootBundle.ts) and the hash the bootstrap
 * verifies before running it. The key is content-addressed: `<cluster>/boot/<role>-<sha256>.sh`.
 */
export interface BootBundleRef {
  bucket: string;
  key: string;
  /** Lower-case hex SHA-256 of the bundle object. */
  sha256: string;
}

export interface MasterBootConfig extends NodeBootCommon {
  /** The master role's boot bundle. */
  bootBundle: BootBundleRef;
  /** 0-based position of this master; master 0 is the only one that may run `kubeadm init`. */
  masterIndex: number;
  /** Total number of masters (for quorum arithmetic in the boot logic). */
  masterCount: number;
  availabilityZone: string;
  /**
   * The EBS volume that holds this master's etcd data; created in `availabilityZone`. Required
   * with stacked etcd, absent with `externalEtcd` (a master then holds no etcd data).
   */
  etcdVolumeId?: string;
  /** This master's stable private address (components/masterAddress.ts): its etcd member's address. */
  stableAddress: string;
  /** Every master's stable address, master 0 first (the etcd members). */
  memberAddresses: string[];
  etcd: { heartbeatIntervalMs: number; electionTimeoutMs: number; quotaBackendGiB: number };
  leaderElection: LeaderElectionConfig;
  cni: CniConfig;
  /** Extra SANs for the API server certificate (the LB name is always included). */
  extraCertSans: string[];
  /** Where etcd snapshots go; absent disables the backup timer. */
  backup?: {
    bucket: string;
    prefix: string;
    intervalMinutes: number;
    /** The KMS key every snapshot upload names (SSE-KMS); absent: the bucket default applies. */
    kmsKeyArn?: string;
  };
  /**
   * The public issuer the add-ons' web identity trusts (components/identity/serviceAccountIssuer.ts):
   * kube-apiserver signs service-account tokens as `issuerUrl` and advertises `jwksUri`. Absent:
   * kubeadm's own issuer only.
   */
  serviceAccountIssuer?: { issuerUrl: string; jwksUri: string };
  /**
   * External etcd topology: the API server is a client of the dedicated etcd nodes and the master
   * runs no etcd (no local member, no etcd patch, no peer certificate). `endpoints` are the etcd
   * nodes' client URLs (`https://<stable address>:2379`), member 0 first. Absent: stacked etcd,
   * one member per master, as before. `version` and `releaseSha256` are the etcd nodes' release:
   * the master installs its etcdctl from the same pinned tarball (rolling preflight, certificate
   * renewal lock), as it has no etcd image to copy one out of.
   */
  externalEtcd?: { endpoints: string[]; version: string; releaseSha256: string };
}

export interface WorkerBootConfig extends NodeBootCommon {
  /** The worker role's boot bundle. */
  bootBundle: BootBundleRef;
  poolName: string;
  labels: Record<string, string>;
  taints: Taint[];
}

/**
 * A dedicated etcd node of the external topology: no kubelet, no container runtime, no kubeadm.
 * It runs the pinned etcd release as a systemd unit on its own volume and stable address.
 */
export interface EtcdNodeBootConfig {
  clusterName: string;
  region: string;
  /** SSM prefix, e.g. `/k8sha/dev`: the etcd CA and the initialised marker live under it. */
  ssmPrefix: string;
  /** The etcd role's boot bundle. */
  bootBundle: BootBundleRef;
  /** 0-based member position; also the etcd-member tag value and the member name's suffix. */
  memberIndex: number;
  /** Number of etcd members (3, 5 or 7). */
  memberCount: number;
  availabilityZone: string;
  /** The EBS volume that holds this member's data; created in `availabilityZone`. */
  etcdVolumeId: string;
  /** This member's stable private address: its peer and client URLs. */
  stableAddress: string;
  /** Every etcd node's stable address, member 0 first. */
  memberAddresses: string[];
  /** The etcd release this member runs (`etcd.version`). */
  etcdVersion: string;
  /** Lower-case hex sha256 of that release's linux-amd64 tarball: the only one the boot installs. */
  etcdReleaseSha256: string;
  etcd: { heartbeatIntervalMs: number; electionTimeoutMs: number; quotaBackendGiB: number };
  /** Where etcd snapshots go; absent disables the backup timer. */
  backup?: { bucket: string; prefix: string; intervalMinutes: number; kmsKeyArn?: string };
}
