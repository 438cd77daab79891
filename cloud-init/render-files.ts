/**
 * Which boot scripts a node role gets, and where they land on the node. Every
 * `cloud-init/lib/*.sh` is discovered at render time, so a library added by anyone ships
 * without touching the renderer. The files travel in the role's boot bundle (bundle.ts),
 * not in user-data, byte-for-byte as they are in the repository.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { NODE_HOME_DIR } from "../base/nodePaths";

export { NODE_HOME_DIR };

/** Repository directory of the boot scripts (this file lives next to them). */
export const BOOT_SCRIPT_DIR = __dirname;
/** Repository directory of the operator scripts (`scripts/`). */
export const OPERATOR_SCRIPT_DIR = join(__dirname, "..", "scripts");

export type NodeRole = "master" | "worker";

/**
 * Libraries only masters source (etcd volume/membership/backup/restore, boot mode, CNI, stale
 * control-plane Node cleanup). Any other library, including one added later, ships to both roles.
 */
export const MASTER_ONLY_LIB = /^(etcd-.*|boot-mode|cni|stale-nodes)\.sh$/;

/** One cloud-config `write_files` entry. */
export interface WriteFile {
  path: string;
  content: string;
  permissions: string;
  owner?: string;
}

/** One file of a boot bundle: repository source, path below NODE_HOME_DIR, octal mode. */
export interface BundleFile {
  source: string;
  /** Relative to the extraction directory, e.g. `lib/common.sh`. */
  path: string;
  mode: "0644" | "0755";
}

/** Repository paths (relative to cloud-init/) of the libraries a role needs, sorted. */
export function libraryScripts(role: NodeRole, dir: string = BOOT_SCRIPT_DIR): string[] {
  return readdirSync(join(dir, "lib"))
    .filter((name) => name.endsWith(".sh"))
    .filter((name) => role === "master" || !MASTER_ONLY_LIB.test(name))
    .sort()
    .map((name) => `lib/${name}`);
}

/**
 * The role's libraries, the shared entry prologue (`bin/boot-env.sh`), its entry script
 * (`bin/<role>-boot.sh`) and, on masters, the
 * operator's restore CLI (`bin/etcd-restore`, docs/backup-restore.md), in a fixed order.
 */
export function bootBundleFiles(role: NodeRole, dir: string = BOOT_SCRIPT_DIR): BundleFile[] {
  const libs: BundleFile[] = libraryScripts(role, dir).map((rel) => ({
    source: join(dir, rel),
    path: rel,
    mode: "0644",
  }));
  const entry: BundleFile = {
    source: join(dir, `${role}-boot.sh`),
    path: `bin/${role}-boot.sh`,
    mode: "0755",
  };
  // Sourced by the entry script: node.env, the libraries, the report trap.
  const env: BundleFile = { source: join(dir, "boot-env.sh"), path: "bin/boot-env.sh", mode: "0644" };
  const tools: BundleFile[] =
    role === "master"
      ? [{ source: join(OPERATOR_SCRIPT_DIR, "etcd-restore.sh"), path: "bin/etcd-restore", mode: "0755" }]
      : [];
  return [...libs, env, entry, ...tools];
}
