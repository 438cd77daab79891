/**
 * The boot scripts shipped in user-data. Every `cloud-init/lib/*.sh` is discovered at render
 * time (so a library added by anyone is shipped without touching the renderer) and stored
 * gzip+base64: user-data is limited to 16 KiB raw and shell compresses ~4x.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

/** Repository directory of the boot scripts (this file lives next to them). */
export const BOOT_SCRIPT_DIR = __dirname;
export const NODE_LIB_DIR = "/opt/k8sha/lib";
export const NODE_BIN_DIR = "/opt/k8sha/bin";

/** One cloud-config `write_files` entry. */
export interface WriteFile {
  path: string;
  content: string;
  permissions: string;
  owner?: string;
  encoding?: "gz+b64";
}

/** Repository paths (relative to cloud-init/) of every library, sorted for a stable output. */
export function libraryScripts(dir: string = BOOT_SCRIPT_DIR): string[] {
  return readdirSync(join(dir, "lib"))
    .filter((name) => name.endsWith(".sh"))
    .sort()
    .map((name) => `lib/${name}`);
}

/** gzip at maximum level, mtime-free (Node writes no timestamp), so output is deterministic. */
export function gzipBase64(content: Buffer): string {
  return gzipSync(content, { level: 9 }).toString("base64");
}

function scriptFile(dir: string, relative: string, nodePath: string, permissions: string): WriteFile {
  return {
    path: nodePath,
    content: gzipBase64(readFileSync(join(dir, relative))),
    encoding: "gz+b64",
    permissions,
    owner: "root:root",
  };
}

/** Every library plus the role's entry script (`master-boot.sh` / `worker-boot.sh`). */
export function bootScriptFiles(entryScript: string, dir: string = BOOT_SCRIPT_DIR): WriteFile[] {
  const libs = libraryScripts(dir).map((rel) =>
    scriptFile(dir, rel, `${NODE_LIB_DIR}/${rel.slice("lib/".length)}`, "0644"),
  );
  return [...libs, scriptFile(dir, entryScript, `${NODE_BIN_DIR}/${entryScript}`, "0755")];
}
