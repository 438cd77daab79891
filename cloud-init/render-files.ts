/**
 * Where a role's boot scripts come from and where they land on the node: the files of its
 * manifest (roles.ts) as one list. The files travel in the role's boot bundle (bundle.ts), not in
 * user-data, byte-for-byte as they are in the repository.
 */
import { join } from "node:path";
import { NODE_HOME_DIR } from "../base/nodePaths";
import { type BootRole, roleManifest } from "./roles";

export { NODE_HOME_DIR };

/** Repository directory of the boot scripts (this file lives next to them). */
export const BOOT_SCRIPT_DIR = __dirname;
/** Repository directory of the operator scripts (`scripts/`). */
export const OPERATOR_SCRIPT_DIR = join(__dirname, "..", "scripts");
/** Sourced first by every entry script: node.env, the shipped libraries, the report trap. */
export const ENTRY_PROLOGUE = "boot-env.sh";

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

/** Repository paths (relative to cloud-init/) of the role's libraries, sorted. */
export function libraryScripts(role: BootRole): string[] {
  return [...roleManifest(role).libraries].sort().map((name) => `lib/${name}`);
}

/**
 * The role's libraries, the shared entry prologue (`bin/boot-env.sh`), its entry script and its
 * operator scripts (masters: `bin/etcd-restore`, docs/backup-restore.md), in a fixed order.
 */
export function bootBundleFiles(role: BootRole, dir: string = BOOT_SCRIPT_DIR): BundleFile[] {
  const manifest = roleManifest(role);
  const libs: BundleFile[] = libraryScripts(role).map((rel) => ({
    source: join(dir, rel),
    path: rel,
    mode: "0644",
  }));
  const env: BundleFile = { source: join(dir, ENTRY_PROLOGUE), path: `bin/${ENTRY_PROLOGUE}`, mode: "0644" };
  const entry: BundleFile = {
    source: join(dir, manifest.entry),
    path: `bin/${manifest.entry}`,
    mode: "0755",
  };
  const tools: BundleFile[] = manifest.operatorScripts.map((s) => ({
    source: join(OPERATOR_SCRIPT_DIR, s.source),
    path: `bin/${s.name}`,
    mode: "0755",
  }));
  return [...libs, env, entry, ...tools];
}
