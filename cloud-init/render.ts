/**
 * User-data renderers: a `#cloud-config` document per node role. Components call these
 * inside `pulumi.all(...).apply(...)` with plain values. The document writes node.env,
 * (masters) the kubeadm ClusterConfiguration, the boot scripts and a systemd unit, then
 * runs the role's entry script once from runcmd.
 */
import { stringify } from "yaml";
import { renderKubeadmClusterConfig } from "./kubeadm-config";
import {
  KUBEADM_CLUSTER_CONFIG_PATH,
  masterEnv,
  NODE_ENV_PATH,
  renderEnvFile,
  workerEnv,
} from "./render-env";
import { bootScriptFiles, NODE_BIN_DIR, type WriteFile } from "./render-files";
import type { MasterBootConfig, WorkerBootConfig } from "./types";

/** EC2's limit on raw (pre-base64) user-data. */
export const USER_DATA_LIMIT_BYTES = 16384;
export const BOOT_UNIT_PATH = "/etc/systemd/system/k8sha-boot.service";

/**
 * cloud-init's runcmd runs once per instance. If a node reboots before boot finished, this
 * unit resumes the entry script (its run_step markers skip what was already done); it is
 * skipped once the success marker exists. It is not ordered after cloud-final, because
 * runcmd (part of cloud-final) may be the one running the script on first boot.
 */
function bootUnit(entry: string): string {
  return [
    "[Unit]",
    "Description=k8sha node boot (resumes after a reboot during first boot)",
    "Wants=network-online.target",
    "After=network-online.target",
    "ConditionPathExists=!/var/lib/k8sha/boot-succeeded",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${entry}`,
    "TimeoutStartSec=0",
    "StandardOutput=journal+console",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

function plainFile(path: string, content: string, permissions: string): WriteFile {
  return { path, content, permissions, owner: "root:root" };
}

function cloudConfig(entryScript: string, files: WriteFile[]): string {
  const entry = `${NODE_BIN_DIR}/${entryScript}`;
  const doc = {
    write_files: [
      ...files,
      ...bootScriptFiles(entryScript),
      plainFile(BOOT_UNIT_PATH, bootUnit(entry), "0644"),
    ],
    runcmd: [["systemctl", "daemon-reload"], ["systemctl", "enable", "k8sha-boot.service"], [entry]],
  };
  const text = `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
  const size = Buffer.byteLength(text, "utf8");
  if (size > USER_DATA_LIMIT_BYTES) {
    throw new Error(`user-data is ${size} bytes, over EC2's ${USER_DATA_LIMIT_BYTES}-byte limit`);
  }
  return text;
}

/** User-data of one master (`cfg.masterIndex`), with its kubeadm ClusterConfiguration. */
export function renderMasterUserData(cfg: MasterBootConfig): string {
  return cloudConfig("master-boot.sh", [
    plainFile(NODE_ENV_PATH, renderEnvFile(masterEnv(cfg)), "0644"),
    plainFile(KUBEADM_CLUSTER_CONFIG_PATH, renderKubeadmClusterConfig(cfg), "0644"),
  ]);
}

/** User-data of a worker of pool `cfg.poolName`. */
export function renderWorkerUserData(cfg: WorkerBootConfig): string {
  return cloudConfig("worker-boot.sh", [plainFile(NODE_ENV_PATH, renderEnvFile(workerEnv(cfg)), "0644")]);
}
