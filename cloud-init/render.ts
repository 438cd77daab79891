/**
 * User-data renderers: a small `#cloud-config` document per node role. It writes node.env
 * (with the boot bundle's bucket, key and sha256), the role's configuration files (kubeadm's
 * documents as templates, config-files.ts), the bootstrap script and a systemd unit, then runs the bootstrap once from runcmd. The boot
 * scripts themselves travel in the role's S3 boot bundle (bundle.ts), which the bootstrap
 * downloads and verifies; that keeps user-data far below EC2's 16 KiB as scripts are added.
 *
 * `render*UserData` return the readable document; `*UserDataBase64` return what EC2 gets:
 * the document gzipped (cloud-init detects and inflates gzip user-data), then base64.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { stringify } from "yaml";
import { type ConfigFile, etcdNodeConfigFiles, masterConfigFiles, workerConfigFiles } from "./config-files";
import { etcdNodeEnv, masterEnv, NODE_ENV_PATH, renderEnvFile, workerEnv } from "./render-env";
import { BOOT_SCRIPT_DIR, NODE_HOME_DIR, type WriteFile } from "./render-files";
import type { BootRole } from "./roles";
import type { BootBundleRef, EtcdNodeBootConfig, MasterBootConfig, WorkerBootConfig } from "./types";

/** EC2's limit on raw (pre-base64) user-data; here: the gzipped document. */
export const USER_DATA_LIMIT_BYTES = 16384;
/** Our own ceiling, well below EC2's: room for what user-data may still have to carry. */
export const USER_DATA_BUDGET_BYTES = 12 * 1024;
export const BOOT_UNIT_PATH = "/etc/systemd/system/k8sha-boot.service";
/** Outside lib/ and bin/, which every bundle extraction replaces. */
export const BOOTSTRAP_PATH = `${NODE_HOME_DIR}/bootstrap.sh`;

/** Seconds systemd waits before it runs a failed boot again. */
export const BOOT_RETRY_SECONDS = 60;

/**
 * Every boot attempt runs in this unit: cloud-init's runcmd only starts it (without waiting),
 * and after a reboot before boot finished, systemd starts it again. A failed attempt is retried
 * every BOOT_RETRY_SECONDS for as long as it takes (no start limit): a boot that gave up
 * waiting for etcd quorum or the API comes back by itself once they are back, like kops'
 * nodeup. Each attempt keeps the extracted bundle (same sha256) and resumes the entry script,
 * whose run_step markers skip what was already done; each failure leaves the failure marker
 * and the boot-status tag. The unit is skipped once the success marker exists. It is not
 * ordered after cloud-final, because runcmd (part of cloud-final) starts it on first boot.
 */
function bootUnit(): string {
  return [
    "[Unit]",
    "Description=k8sha node boot (retried until it succeeds, resumed after a reboot)",
    "Wants=network-online.target",
    "After=network-online.target",
    "ConditionPathExists=!/var/lib/k8sha/boot-succeeded",
    "StartLimitIntervalSec=0",
    "",
    "[Service]",
    // exec, not oneshot: the start job ends as soon as the bootstrap runs, so a reboot's
    // multi-user.target (and cloud-final, ordered after it) never waits for a boot attempt.
    "Type=exec",
    `ExecStart=${BOOTSTRAP_PATH}`,
    "Restart=on-failure",
    `RestartSec=${BOOT_RETRY_SECONDS}`,
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

/** The bundle reference must be exactly what the bootstrap can verify. */
function checkBundleRef(role: BootRole, ref: BootBundleRef): void {
  if (!/^[0-9a-f]{64}$/.test(ref.sha256))
    throw new Error(`${role} boot bundle: sha256 must be 64 hex digits`);
  if (ref.bucket === "" || ref.key === "")
    throw new Error(`${role} boot bundle: bucket and key are required`);
}

function cloudConfig(role: BootRole, bundle: BootBundleRef, files: WriteFile[]): string {
  checkBundleRef(role, bundle);
  const bootstrap = readFileSync(join(BOOT_SCRIPT_DIR, "bootstrap.sh"), "utf8");
  const doc = {
    write_files: [
      ...files,
      plainFile(BOOTSTRAP_PATH, bootstrap, "0755"),
      plainFile(BOOT_UNIT_PATH, bootUnit(), "0644"),
    ],
    runcmd: [
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "k8sha-boot.service"],
      ["systemctl", "start", "--no-block", "k8sha-boot.service"],
    ],
  };
  // indent 1: every script line carries the block indent; one space instead of two saves bytes.
  const text = `#cloud-config\n${stringify(doc, { lineWidth: 0, indent: 1 })}`;
  encodeUserData(text); // fail at preview time, not at EC2, when user-data outgrows the limit
  return text;
}

/** Rendered configuration files are not secret and not executable. */
function configFiles(files: ConfigFile[]): WriteFile[] {
  return files.map((f) => plainFile(f.path, f.content, "0644"));
}

/** User-data of one master (`cfg.masterIndex`), with its kubeadm documents. */
export function renderMasterUserData(cfg: MasterBootConfig): string {
  return cloudConfig("master", cfg.bootBundle, [
    plainFile(NODE_ENV_PATH, renderEnvFile(masterEnv(cfg)), "0644"),
    ...configFiles(masterConfigFiles(cfg)),
  ]);
}

/** User-data of a worker of pool `cfg.poolName`, with its JoinConfiguration template. */
export function renderWorkerUserData(cfg: WorkerBootConfig): string {
  return cloudConfig("worker", cfg.bootBundle, [
    plainFile(NODE_ENV_PATH, renderEnvFile(workerEnv(cfg)), "0644"),
    ...configFiles(workerConfigFiles(cfg)),
  ]);
}

/** The master's user-data as EC2 takes it (`LaunchTemplate.userData`): gzip + base64. */
export function masterUserDataBase64(cfg: MasterBootConfig): string {
  return encodeUserData(renderMasterUserData(cfg));
}

/** The worker's user-data as EC2 takes it (`LaunchTemplate.userData`): gzip + base64. */
export function workerUserDataBase64(cfg: WorkerBootConfig): string {
  return encodeUserData(renderWorkerUserData(cfg));
}

/** User-data of etcd node `cfg.memberIndex` (external topology). */
export function renderEtcdNodeUserData(cfg: EtcdNodeBootConfig): string {
  return cloudConfig("etcd", cfg.bootBundle, [
    plainFile(NODE_ENV_PATH, renderEnvFile(etcdNodeEnv(cfg)), "0644"),
    ...configFiles(etcdNodeConfigFiles(cfg)),
  ]);
}

/** The etcd node's user-data as EC2 takes it (`LaunchTemplate.userData`): gzip + base64. */
export function etcdNodeUserDataBase64(cfg: EtcdNodeBootConfig): string {
  return encodeUserData(renderEtcdNodeUserData(cfg));
}
