/**
 * The boot scripts shipped in user-data. Every `cloud-init/lib/*.sh` is discovered at render
 * time, so a library added by anyone is shipped without touching the renderer.
 *
 * Size: EC2 allows 16 KiB of raw user-data and the libraries are several times that. Two
 * measures make them fit: the whole document is gzipped (see render.ts), and full-line
 * comments are dropped from the shipped copies. Dropping them is proven harmless by the tests:
 * bash's own parser (`declare -f`) prints the same code for the repository file and the copy.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Repository directory of the boot scripts (this file lives next to them). */
export const BOOT_SCRIPT_DIR = __dirname;
export const NODE_LIB_DIR = "/opt/k8sha/lib";
export const NODE_BIN_DIR = "/opt/k8sha/bin";

export type NodeRole = "master" | "worker";

/**
 * Libraries only masters source (etcd volume/membership/backup, boot mode, CNI). Any other
 * library, including one added later, ships to both roles.
 */
export const MASTER_ONLY_LIB = /^(etcd-.*|boot-mode|cni)\.sh$/;

/**
 * Operator tools that are not needed to boot and are left out of user-data: with them the
 * master document no longer fits EC2's 16 KiB (see docs/boot.md, "Size").
 */
export const OPERATOR_ONLY_LIBS: ReadonlySet<string> = new Set(["etcd-restore.sh"]);

/** One cloud-config `write_files` entry. */
export interface WriteFile {
  path: string;
  content: string;
  permissions: string;
  owner?: string;
}

/** Repository paths (relative to cloud-init/) of the libraries a role needs, sorted. */
export function libraryScripts(role: NodeRole, dir: string = BOOT_SCRIPT_DIR): string[] {
  return readdirSync(join(dir, "lib"))
    .filter((name) => name.endsWith(".sh") && !OPERATOR_ONLY_LIBS.has(name))
    .filter((name) => role === "master" || !MASTER_ONLY_LIB.test(name))
    .sort()
    .map((name) => `lib/${name}`);
}

/**
 * The shipped form of a script: lines whose first non-blank character is `#` are removed,
 * except a leading `#!` line. Comments are for readers of the repository, not for the node.
 */
export function stripCommentLines(script: string): string {
  const lines = script.split("\n");
  return lines
    .filter((line, index) => (index === 0 && line.startsWith("#!")) || !/^\s*#/.test(line))
    .join("\n");
}

function scriptFile(source: string, nodePath: string, permissions: string): WriteFile {
  return {
    path: nodePath,
    content: stripCommentLines(readFileSync(source, "utf8")),
    permissions,
    owner: "root:root",
  };
}

/** The role's libraries plus its entry script (`master-boot.sh` / `worker-boot.sh`). */
export function bootScriptFiles(role: NodeRole, dir: string = BOOT_SCRIPT_DIR): WriteFile[] {
  const libs = libraryScripts(role, dir).map((rel) =>
    scriptFile(join(dir, rel), `${NODE_LIB_DIR}/${rel.slice("lib/".length)}`, "0644"),
  );
  const entry = `${role}-boot.sh`;
  return [...libs, scriptFile(join(dir, entry), `${NODE_BIN_DIR}/${entry}`, "0755")];
}
