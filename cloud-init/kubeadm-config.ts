/**
 * Every kubeadm document a node uses (API kubeadm.k8s.io/v1beta4, kubeadm >= 1.31), typed
 * (kubeadm-types.ts) and built here, as Cluster API's kubeadm bootstrap provider builds them:
 * - masters: `InitConfiguration` + `ClusterConfiguration` for `kubeadm init` (master 0) and for
 *   the offline `kubeadm init phase`s (every master: the "local" config, whose etcd peer
 *   certificate also names the instance's primary address), `JoinConfiguration` with
 *   `controlPlane` for `kubeadm join`, and, with stacked etcd, the etcd patch every one of them
 *   applies (the `etcd` section of either topology: kubeadm-etcd.ts);
 * - workers: `JoinConfiguration` with the pool's labels and taints.
 * What only the node knows at boot is a placeholder (placeholders.ts), filled by lib/template.sh.
 */
import { KUBEADM_API_VERSION } from "../base/kubeadm";
import { CRI_SOCKET, ETCD_DATA_DIR } from "../base/nodePaths";
import { API_PORT } from "../base/ports";
import { clusterEtcd } from "./kubeadm-etcd";
import type {
  ClusterConfiguration,
  ExtraArg,
  InitConfiguration,
  JoinConfiguration,
  NodeRegistrationOptions,
  PodVolumesPatch,
} from "./kubeadm-types";
import { placeholder, renderYaml } from "./placeholders";
import type { MasterBootConfig, NodeBootCommon, WorkerBootConfig } from "./types";

export type { ExtraArg } from "./kubeadm-types";

/** Where kubeadm finds its patches on masters (every master document names it). */
export const KUBEADM_PATCHES_DIR = "/etc/k8sha/kubeadm/patches";
/** kubeadm's patch file naming: target `etcd`, strategic merge. */
export const ETCD_PATCH_FILE = "etcd+strategic.yaml";

function toArgs(args: Record<string, string>): ExtraArg[] {
  return Object.entries(args).map(([name, value]) => ({ name, value }));
}

/** `1.34.2` -> 34. */
export function kubernetesMinor(version: string): number {
  const match = /^v?1\.(\d+)\.\d+$/.exec(version);
  if (!match) throw new Error(`kubernetesVersion must be 1.MINOR.PATCH, got ${version}`);
  return Number(match[1]);
}

/** The seeds' 15s/10s/2s timings, applied to both kube-controller-manager and kube-scheduler. */
function leaderElectionArgs(cfg: MasterBootConfig): ExtraArg[] {
  const le = cfg.leaderElection;
  return toArgs({
    "leader-elect": "true",
    "leader-elect-lease-duration": `${le.leaseDurationSeconds}s`,
    "leader-elect-renew-deadline": `${le.renewDeadlineSeconds}s`,
    "leader-elect-retry-period": `${le.retryPeriodSeconds}s`,
  });
}

/**
 * Hairpin: kubeadm already points kube-controller-manager and kube-scheduler at the local
 * API server (their kubeconfigs use the node's advertise address). The kubelet of a master
 * uses the local API server with the `ControlPlaneKubeletLocalMode` gate, alpha in 1.31-1.32
 * (so it is switched on here) and on by default from 1.33. The NLB additionally has
 * client-IP preservation off, so a master routed to itself through the NLB still works.
 */
function featureGates(minor: number): Record<string, boolean> | undefined {
  return minor < 33 ? { ControlPlaneKubeletLocalMode: true } : undefined;
}

/** kube-apiserver's `--shutdown-delay-duration` (see its use below). */
export const API_SHUTDOWN_DELAY = "20s";

/**
 * kubeadm's own `--service-account-issuer`: `https://kubernetes.default.svc.<dnsDomain>`, the
 * default DNS domain being cluster.local (cmd/kubeadm/app/phases/controlplane/manifests.go
 * getAPIServerCommand). Every token issued before the public issuer was set carries it.
 */
export const KUBEADM_SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";

/**
 * The public issuer's flags, for the add-ons' web identity. kube-apiserver signs with the FIRST
 * `--service-account-issuer` and accepts every one given (StringArrayVar `service-account-issuer`,
 * kubernetes/kubernetes pkg/kubeapiserver/options/authentication.go), so kubeadm's issuer follows
 * it and tokens already issued stay valid; the API audiences default to all issuers, so they keep
 * kubeadm's too. `--service-account-jwks-uri` (same file; https only) puts the public copy of the
 * key set in the discovery document. v1beta4 extraArgs is a list that may name a flag twice, and
 * an extra arg replaces every default of its name (cmd/kubeadm/app/util/arguments.go
 * ArgumentsToCommand), which is why kubeadm's issuer is given again here. Before
 * kubernetes/kubernetes#135400 that function also sorted repeated flags by value: the public issuer
 * must sort first too, or an older kubeadm would sign with its own.
 */
function serviceAccountIssuerArgs(cfg: MasterBootConfig): ExtraArg[] {
  const issuer = cfg.serviceAccountIssuer;
  if (!issuer) return [];
  for (const [what, url] of [
    ["issuerUrl", issuer.issuerUrl],
    ["jwksUri", issuer.jwksUri],
  ] as const) {
    if (!/^https:\/\/[^\s"\\]+$/.test(url))
      throw new Error(`serviceAccountIssuer.${what} must be an https URL, got ${url}`);
  }
  if (!(issuer.issuerUrl < KUBEADM_SERVICE_ACCOUNT_ISSUER)) {
    throw new Error(
      `serviceAccountIssuer.issuerUrl ${issuer.issuerUrl} must sort before ${KUBEADM_SERVICE_ACCOUNT_ISSUER}: kubeadm releases that sort repeated extraArgs by value would sign with the latter`,
    );
  }
  return [
    { name: "service-account-issuer", value: issuer.issuerUrl },
    { name: "service-account-issuer", value: KUBEADM_SERVICE_ACCOUNT_ISSUER },
    { name: "service-account-jwks-uri", value: issuer.jwksUri },
  ];
}

/**
 * The cluster-wide ClusterConfiguration. `peerCertSANs` only in the local config: the peer
 * certificate of this master (stacked etcd), never uploaded to the cluster.
 */
export function kubeadmClusterConfiguration(
  cfg: MasterBootConfig,
  peerCertSANs?: string[],
): ClusterConfiguration {
  const minor = kubernetesMinor(cfg.kubernetesVersion);
  const sans = [...new Set([cfg.apiEndpoint, ...cfg.extraCertSans])];
  const gates = featureGates(minor);
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: "ClusterConfiguration",
    clusterName: cfg.clusterName,
    kubernetesVersion: `v${cfg.kubernetesVersion.replace(/^v/, "")}`,
    controlPlaneEndpoint: `${cfg.apiEndpoint}:${API_PORT}`,
    networking: { podSubnet: cfg.podCidr, serviceSubnet: cfg.serviceCidr },
    apiServer: {
      certSANs: sans,
      // On SIGTERM the server first fails /readyz for this long while still serving (default 0):
      // the NLB's health check (3 failures 5 s apart) takes the target out before connections
      // are refused, e.g. when a certificate renewal restarts the static pod. Below the pod's
      // 30 s termination grace period. A rolling gate deregisters the target itself first.
      extraArgs: [
        ...toArgs({ "shutdown-delay-duration": API_SHUTDOWN_DELAY }),
        ...serviceAccountIssuerArgs(cfg),
      ],
    },
    controllerManager: { extraArgs: leaderElectionArgs(cfg) },
    scheduler: { extraArgs: leaderElectionArgs(cfg) },
    etcd: clusterEtcd(cfg, peerCertSANs),
    ...(gates ? { featureGates: gates } : {}),
  };
}

/** Labels as kubelet's `--node-labels` value: `k=v,k=v` (sorted, so the output is stable). */
export function nodeLabelsArg(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(",");
}

/**
 * With the AWS cloud-controller-manager: the kubelet leaves the Node's cloud facts to it
 * (`--cloud-provider=external`, the only value kubelet still takes besides none, cmd/kubelet/app/
 * options/options.go) and names its instance as `aws:///<zone>/<instance-id>`, one of the forms
 * the controller parses (kubernetes/cloud-provider-aws pkg/providers/v1/instances.go
 * KubernetesInstanceID). With the ID set the controller finds the instance by it, not by the Node
 * name (instances_v2.go getProviderID). Nothing else is needed in ClusterConfiguration: v1beta4 has
 * no cloud-provider field and kubeadm adds no cloud flag to the control plane (manifests.go).
 */
function cloudProviderArgs(cfg: NodeBootCommon): ExtraArg[] {
  if (!cfg.cloudControllerManager) return [];
  return [
    { name: "cloud-provider", value: "external" },
    { name: "provider-id", value: placeholder("PROVIDER_ID") },
  ];
}

/**
 * A master registers under its EC2 name with its stable address as node IP (the advertise
 * address). No `taints`: kubeadm's default control-plane taint.
 */
function masterRegistration(cfg: MasterBootConfig): NodeRegistrationOptions {
  return {
    name: placeholder("NODE_NAME"),
    criSocket: CRI_SOCKET,
    kubeletExtraArgs: [{ name: "node-ip", value: cfg.stableAddress }, ...cloudProviderArgs(cfg)],
  };
}

/** A worker: its primary address as node IP, the pool's labels, its taints (`[]`: none). */
function workerRegistration(cfg: WorkerBootConfig): NodeRegistrationOptions {
  const labels = nodeLabelsArg(cfg.labels);
  return {
    name: placeholder("NODE_NAME"),
    criSocket: CRI_SOCKET,
    kubeletExtraArgs: [
      { name: "node-ip", value: placeholder("NODE_IP") },
      ...(labels ? [{ name: "node-labels", value: labels }] : []),
      ...cloudProviderArgs(cfg),
    ],
    taints: cfg.taints.map((t) => ({ key: t.key, value: t.value, effect: t.effect })),
  };
}

/**
 * A master's InitConfiguration. With `bootstrapToken` (master 0's `kubeadm init`), the cluster's
 * one token, created with ttl 0s (never expires): ASG workers join months later. Without, it
 * only drives offline `kubeadm init phase` calls (certificates, the local etcd manifest).
 */
export function initConfiguration(cfg: MasterBootConfig, bootstrapToken: boolean): InitConfiguration {
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: "InitConfiguration",
    ...(bootstrapToken
      ? {
          bootstrapTokens: [
            {
              token: placeholder("BOOTSTRAP_TOKEN"),
              ttl: "0s",
              usages: ["signing", "authentication"],
              groups: ["system:bootstrappers:kubeadm:default-node-token"],
            },
          ],
        }
      : {}),
    localAPIEndpoint: { advertiseAddress: cfg.stableAddress, bindPort: API_PORT },
    nodeRegistration: masterRegistration(cfg),
    patches: { directory: KUBEADM_PATCHES_DIR },
  };
}

/** Discovery through the API load balancer, pinned to the cluster CA. */
function discovery(cfg: NodeBootCommon): JoinConfiguration["discovery"] {
  return {
    bootstrapToken: {
      apiServerEndpoint: `${cfg.apiEndpoint}:${API_PORT}`,
      token: placeholder("BOOTSTRAP_TOKEN"),
      caCertHashes: [placeholder("DISCOVERY_HASH")],
    },
  };
}

/** A master's JoinConfiguration: a new control plane (and, stacked, etcd member) at its stable address. */
export function controlPlaneJoinConfiguration(cfg: MasterBootConfig): JoinConfiguration {
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: "JoinConfiguration",
    discovery: discovery(cfg),
    nodeRegistration: masterRegistration(cfg),
    controlPlane: { localAPIEndpoint: { advertiseAddress: cfg.stableAddress, bindPort: API_PORT } },
    patches: { directory: KUBEADM_PATCHES_DIR },
  };
}

/** A worker's JoinConfiguration. */
export function workerJoinConfiguration(cfg: WorkerBootConfig): JoinConfiguration {
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: "JoinConfiguration",
    discovery: discovery(cfg),
    nodeRegistration: workerRegistration(cfg),
  };
}

/**
 * The etcd patch: the data volume's hostPath type from kubeadm's DirectoryOrCreate to Directory.
 * The data dir lives ON the etcd EBS volume, so when the volume is not mounted (late after a
 * reboot) the kubelet refuses to start etcd instead of creating an empty data dir on the root
 * disk, where kubeadm's manifest would boot a fresh one-member cluster behind the load balancer.
 */
export function etcdDataVolumePatch(): PodVolumesPatch {
  return { spec: { volumes: [{ name: "etcd-data", hostPath: { path: ETCD_DATA_DIR, type: "Directory" } }] } };
}

/** The kubeadm templates of a master: `kubeadm init`, the offline phases, `kubeadm join`. */
export function masterKubeadmTemplates(cfg: MasterBootConfig): { init: string; local: string; join: string } {
  return {
    init: renderYaml([initConfiguration(cfg, true), kubeadmClusterConfiguration(cfg)]),
    local: renderYaml([
      initConfiguration(cfg, false),
      kubeadmClusterConfiguration(cfg, [placeholder("NODE_IP")]),
    ]),
    join: renderYaml([controlPlaneJoinConfiguration(cfg)]),
  };
}
