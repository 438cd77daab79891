/**
 * Runs the project's OWN boot-script functions for real: `bash -c` with `set -euo pipefail`
 * (like the entry scripts), `common.sh` plus the named libraries sourced, and arguments
 * passed as positional parameters (no quoting games).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type CommandResult, run } from "../../support/etcdCluster";

export const LIB_DIR = resolve(__dirname, "../../../cloud-init/lib");
export const FAKES_DIR = __dirname;

/** Fast, bounded retries for tests: 3 attempts, 1 s apart at most. */
export const FAST_RETRY = { K8SHA_RETRY_MAX: "3", K8SHA_RETRY_BASE: "1", K8SHA_RETRY_CAP: "1" };

/**
 * `source common.sh libs...; <script>` with `args` as "$@". K8SHA_STATE_DIR defaults to a
 * fresh temp dir so step markers never touch the host.
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
  return run("bash", ["-c", body, "bash", ...args], { K8SHA_STATE_DIR: stateDir, ...FAST_RETRY, ...env });
}
