/**
 * Runs the project's OWN boot-script functions for real: `bash -c` with `set -euo pipefail`
 * (like the entry scripts), `common.sh` plus the named libraries sourced, and arguments
 * passed as positional parameters (no quoting games).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { nodeFacts } from "../../../cloud-init/render-env";
import { type CommandResult, run } from "../etcdCluster";

export const LIB_DIR = resolve(__dirname, "../../../cloud-init/lib");
export const FAKES_DIR = __dirname;

/**
 * The fixed facts a master's node.env carries (ports, tag keys, ...), from the renderer that
 * writes them: the libraries read them from node.env, and no test declares them again.
 */
export const NODE_FACTS = nodeFacts("master");

/** Fast, bounded retries for tests: 3 attempts, 1 s apart at most. */
export const FAST_RETRY = { K8SHA_RETRY_MAX: "3", K8SHA_RETRY_BASE: "1", K8SHA_RETRY_CAP: "1" };

/**
 * `source common.sh libs...; <script>` with `args` as "$@", NODE_FACTS in the environment.
 * K8SHA_STATE_DIR defaults to a fresh temp dir so step markers never touch the host.
 */
export function runLib(
  libs: string[],
  script: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<CommandResult> {
  const sources = ["common.sh", ...libs].map((lib) => `source ${JSON.stringify(join(LIB_DIR, lib))}`);
  const body = `set -euo pipefail\n${sources.join("\n")}\n${script}`;
  const stateDir = mkdtempSync(join(tmpdir(), "k8sha-state-"));
  return run("bash", ["-c", body, "bash", ...args], {
    ...NODE_FACTS,
    K8SHA_STATE_DIR: stateDir,
    ...FAST_RETRY,
    ...env,
  });
}

let templateDir: string | undefined;

/**
 * `fill_template TEMPLATE OUT NAME=VALUE...` (lib/template.sh) on `template`'s text, as an entry
 * script runs it. `out` is the filled file (absent when bash refused).
 */
export function fillTemplate(
  template: string,
  values: Record<string, string>,
): { code: number | null; stderr: string; out: string } {
  templateDir ??= mkdtempSync(join(tmpdir(), "k8sha-template-"));
  const id = Math.random().toString(36).slice(2);
  const source = join(templateDir, `template-${id}.yaml`);
  const out = join(templateDir, `filled-${id}.yaml`);
  writeFileSync(source, template);
  const script = `set -euo pipefail\n. "${join(LIB_DIR, "common.sh")}"\n. "${join(LIB_DIR, "template.sh")}"\nfill_template "$@"`;
  const args = Object.entries(values).map(([name, value]) => `${name}=${value}`);
  const r = spawnSync("bash", ["-c", script, "bash", source, out, ...args], {
    encoding: "utf8",
    env: { ...process.env, K8SHA_STATE_DIR: templateDir },
  });
  return { code: r.status, stderr: r.stderr, out };
}
