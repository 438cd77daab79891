/** node.env must survive bash's `source` byte-for-byte, whatever the value holds. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { masterEnv, renderEnvFile, workerEnv } from "../../cloud-init/render-env";
import { masterConfig, workerConfig } from "./render-fixtures";

/** Source the file in a clean bash and print each variable NUL-separated. */
function sourceInBash(content: string, keys: string[]): string[] {
  const file = join(mkdtempSync(join(tmpdir(), "k8sha-env-")), "node.env");
  writeFileSync(file, content);
  const script = `set -euo pipefail; source "$1"; for k in ${keys.join(" ")}; do printf '%s\\0' "\${!k}"; done`;
  return execFileSync("bash", ["-c", script, "_", file], { encoding: "utf8" }).split("\0").slice(0, -1);
}

describe("node.env", () => {
  it("round-trips hostile values through bash source", () => {
    const env = {
      QUOTE: 'it\'s a "test"',
      EXPANSION: "$HOME `id` $(id) \u0024{PATH} \u0024",
      BACKSLASH: "a\\b\\'c",
      NEWLINE: "line1\nline2",
      EMPTY: "",
    };
    expect(sourceInBash(renderEnvFile(env), Object.keys(env))).toEqual(Object.values(env));
  });

  it("rejects keys that are not shell identifiers", () => {
    expect(() => renderEnvFile({ "A;rm -rf /": "x" })).toThrow(/invalid node.env key/);
  });

  it("gives the boot scripts the values of the master and worker configs", () => {
    const master = masterEnv(masterConfig(1, true));
    const worker = workerEnv(workerConfig);
    expect(sourceInBash(renderEnvFile(master), Object.keys(master))).toEqual(Object.values(master));
    expect(master.MASTER_INDEX).toBe("1");
    expect(master.ETCD_DATA_DIR).toBe("/var/lib/etcd-volume/data");
    expect(worker.NODE_LABELS).toBe("example.com/team=ml,k8sha.io/pool=gpu");
  });
});
