/**
 * What each boot role's bundle ships: its entry script, the libraries the entry (through
 * boot-env.sh, which sources every shipped library) and those libraries need, and the operator
 * scripts installed beside it. Listed, never inferred from file names: a library nobody lists
 * ships to no role, and test/cloud-init/role-manifest.test.ts fails on it, as on an entry script or a
 * library that sources a library its role does not ship. A new role (dedicated etcd members) is
 * one more entry here, plus its entry script.
 */

export interface OperatorScript {
  /** File under `scripts/` in the repository. */
  source: string;
  /** Command name under `bin/` on the node. */
  name: string;
}

export interface RoleManifest {
  /** Entry script in `cloud-init/`, installed as `bin/<entry>`. */
  entry: string;
  /** Libraries in `cloud-init/lib/`, installed as `lib/<name>`. */
  libraries: readonly string[];
  operatorScripts: readonly OperatorScript[];
}

/** What every node runs: logging and retries, IMDS, SSM, prerequisites, kubeadm, templates, the report. */
const NODE_LIBRARIES = [
  "common.sh",
  "imds.sh",
  "kubeadm.sh",
  "prereqs.sh",
  "report.sh",
  "ssm.sh",
  "template.sh",
] as const;

export const ROLE_MANIFESTS = {
  master: {
    entry: "master-boot.sh",
    libraries: [
      ...NODE_LIBRARIES,
      // The etcd member: its volume, stable address, membership, tools, backup and restore.
      "etcd-address.sh",
      "etcd-backup-timer.sh",
      "etcd-backup.sh",
      "etcd-member.sh",
      "etcd-restore.sh",
      "etcd-tools.sh",
      "etcd-volume.sh",
      // The control plane: how it enters the cluster, its certificates' renewal, the pod network,
      // its predecessor's Node.
      "boot-mode.sh",
      "cert-expiry.sh",
      "cert-renewal-timer.sh",
      "cert-renewal.sh",
      "cni.sh",
      "stale-nodes.sh",
      // The operations the masters' rolling gate runs on a master (k8sha-control-plane).
      "control-plane-etcd.sh",
      "control-plane-ops.sh",
      "control-plane-upgrade.sh",
      "control-plane-validate.sh",
      // What `k8sha-validate` needs besides: the AWS side of the cluster.
      "cluster-aws.sh",
      // Workers their ASG terminates: drained by the leader (leader.sh) before the hook lets them go.
      "worker-drain-timer.sh",
      "worker-drain.sh",
      // The AWS add-ons' manifest, applied by the leader (leader.sh) from the pointer `pulumi up` writes.
      "addons-timer.sh",
      "addons.sh",
      // The node health metrics (etcd, control plane, certificates), every minute on every master.
      "health-timer.sh",
      "health.sh",
      // Which master acts for the leader-only timers, in either topology.
      "leader.sh",
      // The boot of a master without etcd data (external etcd topology), and its etcdctl.
      "stateless-master.sh",
      "etcd-release.sh",
    ],
    operatorScripts: [
      { source: "etcd-restore.sh", name: "etcd-restore" },
      { source: "k8sha-control-plane.sh", name: "k8sha-control-plane" },
      { source: "k8sha-validate.sh", name: "k8sha-validate" },
    ],
  },
  worker: { entry: "worker-boot.sh", libraries: NODE_LIBRARIES, operatorScripts: [] },
  // A dedicated etcd member (external topology): no kubelet, container runtime or kubeadm.
  etcd: {
    entry: "etcd-boot.sh",
    libraries: [
      "common.sh",
      "imds.sh",
      "report.sh",
      "ssm.sh",
      "template.sh",
      "etcd-address.sh",
      "etcd-backup-timer.sh",
      "etcd-backup.sh",
      "etcd-member.sh",
      // Sourced by the backup service; its image-copy functions stay unused on an etcd node.
      "etcd-tools.sh",
      // The health timer (etcd and the node's certificates, read with cert-expiry.sh).
      "cert-expiry.sh",
      "health-timer.sh",
      "health.sh",
      "etcd-volume.sh",
      "etcd-release.sh",
      "etcd-node.sh",
      "etcd-node-join.sh",
      "etcd-node-renewal.sh",
      // The operator's restore CLI (docs/backup-restore.md, the etcd-node runbooks).
      "etcd-restore.sh",
    ],
    operatorScripts: [{ source: "etcd-restore.sh", name: "etcd-restore" }],
  },
} as const satisfies Record<string, RoleManifest>;

/** A role a node boots as; each has its own bundle and entry script. */
export type BootRole = keyof typeof ROLE_MANIFESTS;

export const BOOT_ROLES = Object.keys(ROLE_MANIFESTS) as BootRole[];

export function roleManifest(role: BootRole): RoleManifest {
  return ROLE_MANIFESTS[role];
}
