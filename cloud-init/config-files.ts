/**
 * The configuration files a node's user-data writes besides node.env and the bootstrap: every
 * kubeadm document (kubeadm-config.ts), the etcd patch (stacked etcd), the stable address's
 * netplan drop-in and Calico's resources (network-config.ts). A file that misses a value only
 * the node knows is a template (placeholders.ts) that the boot fills into its final place;
 * node.env names each template's path (`envKey`), so no path is declared in bash. None holds a
 * secret: the token is a placeholder here and is filled only into the node's own 0600 copy.
 */
import {
  ETCD_PATCH_FILE,
  etcdDataVolumePatch,
  KUBEADM_PATCHES_DIR,
  masterKubeadmTemplates,
  workerJoinConfiguration,
} from "./kubeadm-config";
import { calicoInstallation, stableAddressNetplan } from "./network-config";
import { renderYaml } from "./placeholders";
import type { EtcdNodeBootConfig, MasterBootConfig, WorkerBootConfig } from "./types";

/** Where the templates land; the filled copies go where the boot scripts say (mode 0600). */
export const TEMPLATE_DIR = "/etc/k8sha/templates";
export const CALICO_INSTALLATION_PATH = "/etc/k8sha/cni/calico-installation.yaml";

export interface ConfigFile {
  path: string;
  content: string;
  /** The node.env key that hands this path to the boot scripts (none: read by kubeadm itself). */
  envKey?: string;
}

/** A master's files: its kubeadm templates, the etcd patch (stacked), netplan, and Calico's when chosen. */
export function masterConfigFiles(cfg: MasterBootConfig): ConfigFile[] {
  const kubeadm = masterKubeadmTemplates(cfg);
  const files: ConfigFile[] = [
    { path: `${TEMPLATE_DIR}/kubeadm-init.yaml`, content: kubeadm.init, envKey: "KUBEADM_INIT_TEMPLATE" },
    { path: `${TEMPLATE_DIR}/kubeadm-local.yaml`, content: kubeadm.local, envKey: "KUBEADM_LOCAL_TEMPLATE" },
    { path: `${TEMPLATE_DIR}/kubeadm-join.yaml`, content: kubeadm.join, envKey: "KUBEADM_JOIN_TEMPLATE" },
    // Final as it is: no node value. kubeadm reads every file of the patches directory. Stacked
    // only: with external etcd the master runs no etcd pod for it to patch.
    ...(cfg.externalEtcd
      ? []
      : [
          { path: `${KUBEADM_PATCHES_DIR}/${ETCD_PATCH_FILE}`, content: renderYaml([etcdDataVolumePatch()]) },
        ]),
    {
      path: `${TEMPLATE_DIR}/netplan-stable-address.yaml`,
      content: renderYaml([stableAddressNetplan(cfg.stableAddress)]),
      envKey: "NETPLAN_TEMPLATE",
    },
  ];
  if (cfg.cni.provider === "calico") {
    files.push({
      path: CALICO_INSTALLATION_PATH,
      content: renderYaml(calicoInstallation(cfg.podCidr)),
      envKey: "CALICO_INSTALLATION",
    });
  }
  return files;
}

/** A worker's one file: its JoinConfiguration template (pool labels and taints rendered in). */
export function workerConfigFiles(cfg: WorkerBootConfig): ConfigFile[] {
  return [
    {
      path: `${TEMPLATE_DIR}/kubeadm-join.yaml`,
      content: renderYaml([workerJoinConfiguration(cfg)]),
      envKey: "KUBEADM_JOIN_TEMPLATE",
    },
  ];
}

/** An etcd node's one file: the netplan drop-in of its stable address (no kubeadm on it). */
export function etcdNodeConfigFiles(cfg: EtcdNodeBootConfig): ConfigFile[] {
  return [
    {
      path: `${TEMPLATE_DIR}/netplan-stable-address.yaml`,
      content: renderYaml([stableAddressNetplan(cfg.stableAddress)]),
      envKey: "NETPLAN_TEMPLATE",
    },
  ];
}

/** The node.env entries naming the files' paths. */
export function configFileEnv(files: ConfigFile[]): Record<string, string> {
  return Object.fromEntries(files.flatMap((f) => (f.envKey ? [[f.envKey, f.path]] : [])));
}
