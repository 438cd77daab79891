/**
 * User-data renderers: a `#cloud-config` document per node role. Components call these
 * inside `pulumi.all(...).apply(...)` with plain values. The document writes node.env,
 * (masters) the kubeadm ClusterConfiguration, the boot scripts and a systemd unit, then
 * runs the role's entry script once from runcmd.
 *
 * `render*UserData` return the readable document; `*UserDataBase64` return what EC2 gets:
 * the document gzipped (cloud-init detects and inflates gzip user-data), then base64.
 */
import { gzipSync } from "node:zlib";
import { stringify } from "yaml";
import { renderKubeadmClusterConfig } from "./kubeadm-config";
import {
  KUBEADM_CLUSTER_CONFIG_PATH,
  masterEnv,
  NODE_ENV_PATH,
  renderEnvFile,
  workerEnv,
} from "./render-env";
import { bootScriptFiles, NODE_BIN_DIR, type NodeRole, type WriteFile } from "./render-files";
import type { MasterBootConfig, WorkerBootConfig } from "./types";

/** EC2's limit on raw (pre-base64) user-data; here: the gzipped document. */
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

/** gzip + base64 of a cloud-config, refused when the gzip exceeds EC2's limit. */
export function encodeUserData(cloudConfig: string): string {
  const gz = gzipSync(Buffer.from(cloudConfig, "utf8"), { level: 9 });
  if (gz.length > USER_DATA_LIMIT_BYTES) {
    throw new Error(
      `user-data is ${gz.length} bytes gzipped, over EC2's ${USER_DATA_LIMIT_BYTES}-byte limit`,
    );
  }
  return gz.toString("base64");
}

function cloudConfig(role: NodeRole, files: WriteFile[]): string {
  const entry = `${NODE_BIN_DIR}/${role}-boot.sh`;
  const doc = {
    write_files: [...files, ...bootScriptFiles(role), plainFile(BOOT_UNIT_PATH, bootUnit(entry), "0644")],
    runcmd: [["systemctl", "daemon-reload"], ["systemctl", "enable", "k8sha-boot.service"], [entry]],
  };
  // indent 1: every script line carries the block indent; one space instead of two saves bytes.
  const text = `#cloud-config\n${stringify(doc, { lineWidth: 0, indent: 1 })}`;
  encodeUserData(text); // fail at preview time, not at EC2, when the scripts outgrow the limit
  return text;
}

/** User-data of one master (`cfg.masterIndex`), with its kubeadm ClusterConfiguration. */
export function renderMasterUserData(cfg: MasterBootConfig): string {
  return cloudConfig("master", [
    plainFile(NODE_ENV_PATH, renderEnvFile(masterEnv(cfg)), "0644"),
    plainFile(KUBEADM_CLUSTER_CONFIG_PATH, renderKubeadmClusterConfig(cfg), "0644"),
  ]);
}

/** User-data of a worker of pool `cfg.poolName`. */
export function renderWorkerUserData(cfg: WorkerBootConfig): string {
  return cloudConfig("worker", [plainFile(NODE_ENV_PATH, renderEnvFile(workerEnv(cfg)), "0644")]);
}

/** The master's user-data as EC2 takes it (`LaunchTemplate.userData`): gzip + base64. */
export function masterUserDataBase64(cfg: MasterBootConfig): string {
  return encodeUserData(renderMasterUserData(cfg));
}

/** The worker's user-data as EC2 takes it (`LaunchTemplate.userData`): gzip + base64. */
export function workerUserDataBase64(cfg: WorkerBootConfig): string {
  return encodeUserData(renderWorkerUserData(cfg));
}
