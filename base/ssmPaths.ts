/**
 * Every SSM Parameter Store path of a cluster, as plain strings: the secrets component writes
 * them, the IAM policies scope to them, and node.env hands them to the boot scripts.
 */

/** SSM Parameter Store prefix for everything a cluster keeps there. */
export function ssmPrefix(clusterName: string): string {
  return `/k8sha/${clusterName}`;
}

/**
 * `<prefix>/control-plane/kubernetes-version` (a String): the Kubernetes version every master
 * reached, written by `pulumi up` only after the last master's roll gate passed. The upgrade
 * guard reads it before any resource registers, so a stack can neither go back nor skip a minor.
 */
export function kubernetesVersionParameterName(clusterName: string): string {
  return `${ssmPrefix(clusterName)}/control-plane/kubernetes-version`;
}

/**
 * `<prefix>/control-plane/etcd-topology` (a String, `stacked` or `external`): where this cluster's
 * etcd runs, written by `pulumi up`. The topology guard reads it before any resource registers;
 * a cluster with a Kubernetes version parameter but none of these was built before it existed,
 * and is stacked.
 */
export function etcdTopologyParameterName(clusterName: string): string {
  return `${ssmPrefix(clusterName)}/control-plane/etcd-topology`;
}

/** Master-only files under `<prefix>/pki/`, named like kubeadm's files in /etc/kubernetes/pki. */
export const PKI_PARAMETER_FILES = [
  "ca.crt",
  "ca.key",
  "etcd-ca.crt",
  "etcd-ca.key",
  "front-proxy-ca.crt",
  "front-proxy-ca.key",
  "sa.key",
  "sa.pub",
] as const;
export type PkiParameterFile = (typeof PKI_PARAMETER_FILES)[number];

/**
 * External etcd only: kube-apiserver's etcd client certificate and key, also under `<prefix>/pki/`
 * (kubeadm's file names). Kept apart from {@link PKI_PARAMETER_FILES} so a stacked cluster's
 * parameter set, its policies and its node.env stay exactly as they are.
 */
export const ETCD_CLIENT_PARAMETER_FILES = [
  "apiserver-etcd-client.crt",
  "apiserver-etcd-client.key",
] as const;
export type EtcdClientParameterFile = (typeof ETCD_CLIENT_PARAMETER_FILES)[number];

/** `<prefix>/pki/apiserver-etcd-client.{crt,key}` below an explicit prefix. */
export function etcdClientParameterNamesUnder(prefix: string): Record<EtcdClientParameterFile, string> {
  return Object.fromEntries(ETCD_CLIENT_PARAMETER_FILES.map((f) => [f, `${prefix}/pki/${f}`])) as Record<
    EtcdClientParameterFile,
    string
  >;
}

/** Worker-readable values under `<prefix>/join/`: all a `kubeadm join` of a worker needs. */
export const JOIN_PARAMETER_FILES = ["token", "discovery-hash", "ca.crt"] as const;
export type JoinParameterFile = (typeof JOIN_PARAMETER_FILES)[number];

/** Every SSM path of a cluster; plain strings, so boot scripts and IAM policies use the same names. */
export interface SecretParameterNames {
  /** `/k8sha/<cluster>` */
  prefix: string;
  pki: Record<PkiParameterFile, string>;
  join: Record<JoinParameterFile, string>;
  /** `<prefix>/state`: the only sub-tree masters may write (plain String parameters). */
  stateDir: string;
  /**
   * `<prefix>/state/initialised`: written by the master that ran `kubeadm init`.
   * `aws ssm put-parameter` without `--overwrite` fails if it exists, so it doubles as an init lock.
   */
  initializedMarker: string;
}

export function secretParameterNames(clusterName: string): SecretParameterNames {
  return parameterNamesUnder(ssmPrefix(clusterName));
}

/** The same names below an explicit prefix (a node's boot config carries the prefix, not the rule). */
export function parameterNamesUnder(prefix: string): SecretParameterNames {
  const under = <K extends string>(dir: string, files: readonly K[]) =>
    Object.fromEntries(files.map((f) => [f, `${prefix}/${dir}/${f}`])) as Record<K, string>;
  return {
    prefix,
    pki: under("pki", PKI_PARAMETER_FILES),
    join: under("join", JOIN_PARAMETER_FILES),
    stateDir: `${prefix}/state`,
    initializedMarker: `${prefix}/state/initialised`,
  };
}

/**
 * `<prefix>/state/etcd-initialised` (external etcd): written once by the first etcd node whose
 * member served with quorum, never overwritten. A blank etcd volume that boots once it exists
 * joins the running cluster; before, the members bootstrap it together.
 */
export function etcdClusterMarkerUnder(prefix: string): string {
  return `${prefix}/state/etcd-initialised`;
}

/**
 * `<prefix>/addons/manifest` (a String, JSON `AddonManifestPointer`): where the AWS add-ons'
 * manifest lies in the cluster bucket and its sha256. Written by `pulumi up` after the last
 * master's roll gate, so add-ons move to a new version only once the control plane did; the
 * masters' add-on timer applies what it names (cloud-init/lib/addons.sh).
 */
export function addonsParameterName(clusterName: string): string {
  return `${ssmPrefix(clusterName)}/addons/manifest`;
}

/**
 * `<prefix>/validation` (a String of `KEY=value` lines, components/validationTarget.ts): what
 * `k8sha-validate` checks the cluster against (its ASGs, target group, backups, alarms, pools),
 * written by `pulumi up` so the command on a master knows what the operator's copy knows.
 */
export function validationParameterName(clusterName: string): string {
  return `${ssmPrefix(clusterName)}/validation`;
}
