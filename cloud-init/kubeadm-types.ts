/**
 * The kubeadm configuration API (kubeadm.k8s.io/v1beta4, kubeadm >= 1.31) as far as this
 * project writes it: the fields of kubeadm's own Go types (cmd/kubeadm/app/apis/kubeadm/v1beta4),
 * with their JSON names, that the renderer sets. kubeadm only warns about a field it does not know
 * (strict decoding with strictErrors=false, cmd/kubeadm/app/util/config/joinconfiguration.go) and
 * then ignores it, so a misspelled field would silently do nothing on the node; typing the
 * documents catches it at compile time. A wrong type (a boolean for a string) is a fatal decode
 * error, which is why the renderer writes YAML 1.1 (placeholders.ts).
 */
import type { KUBEADM_API_VERSION } from "../base/kubeadm";

/** v1beta4 replaced the string maps of `extraArgs` by lists that allow duplicate flags. */
export interface ExtraArg {
  name: string;
  value: string;
}

/** core/v1 Taint. `value` is always written (empty for a key-only taint), as kubectl shows it. */
export interface Taint {
  key: string;
  value: string;
  effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface NodeRegistrationOptions {
  name: string;
  criSocket: string;
  kubeletExtraArgs: ExtraArg[];
  /**
   * Absent: kubeadm's default (the control-plane taint on control-plane nodes, none on workers).
   * An empty list means "no taints" explicitly.
   */
  taints?: Taint[];
}

export interface APIEndpoint {
  advertiseAddress: string;
  bindPort: number;
}

export interface BootstrapToken {
  token: string;
  /** A duration such as `24h`; `0s` never expires. */
  ttl: string;
  usages: ("signing" | "authentication")[];
  groups: string[];
}

/** kubeadm's patches: files named `<target>[suffix][+patchtype].<ext>` in `directory`. */
export interface Patches {
  directory: string;
}

interface Versioned<K extends string> {
  apiVersion: typeof KUBEADM_API_VERSION;
  kind: K;
}

export interface InitConfiguration extends Versioned<"InitConfiguration"> {
  bootstrapTokens?: BootstrapToken[];
  localAPIEndpoint: APIEndpoint;
  nodeRegistration: NodeRegistrationOptions;
  patches?: Patches;
}

export interface BootstrapTokenDiscovery {
  /** `host:port` of an API server (here: the API load balancer). */
  apiServerEndpoint: string;
  token: string;
  /** `sha256:<hex>` pins of the cluster CA's public key. */
  caCertHashes: string[];
}

export interface JoinControlPlane {
  localAPIEndpoint: APIEndpoint;
}

export interface JoinConfiguration extends Versioned<"JoinConfiguration"> {
  discovery: { bootstrapToken: BootstrapTokenDiscovery };
  nodeRegistration: NodeRegistrationOptions;
  /** Present only when the node joins as a control plane. */
  controlPlane?: JoinControlPlane;
  patches?: Patches;
}

/** etcd run by kubeadm as a static pod on every control-plane node (stacked). */
export interface LocalEtcd {
  dataDir: string;
  extraArgs: ExtraArg[];
  /** Extra SANs of the peer certificate (kubeadm adds the node name, its address and localhost). */
  peerCertSANs?: string[];
}

/** etcd members kubeadm does not run (dedicated etcd nodes): the API servers' client view of them. */
export interface ExternalEtcd {
  endpoints: string[];
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** kubeadm's Etcd holds exactly one of the two. */
export type Etcd = { local: LocalEtcd; external?: never } | { external: ExternalEtcd; local?: never };

export interface ClusterConfiguration extends Versioned<"ClusterConfiguration"> {
  clusterName: string;
  /** `v1.MINOR.PATCH`. */
  kubernetesVersion: string;
  controlPlaneEndpoint: string;
  networking: { podSubnet: string; serviceSubnet: string };
  apiServer: { certSANs: string[]; extraArgs: ExtraArg[] };
  controllerManager: { extraArgs: ExtraArg[] };
  scheduler: { extraArgs: ExtraArg[] };
  etcd: Etcd;
  featureGates?: Record<string, boolean>;
}

/** A strategic-merge patch of a static pod's volumes (kubeadm `patches`, target `etcd`). */
export interface PodVolumesPatch {
  spec: { volumes: { name: string; hostPath: { path: string; type: "Directory" | "DirectoryOrCreate" } }[] };
}
