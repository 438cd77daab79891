/**
 * The rendered user-data, checked with the real tools: `cloud-init schema`, EC2's size limit on
 * the gzipped bytes, bash's parser for the shipped scripts, and secret patterns.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { parse } from "yaml";
import {
  masterUserDataBase64,
  renderMasterUserData,
  renderWorkerUserData,
  USER_DATA_LIMIT_BYTES,
  workerUserDataBase64,
} from "../../cloud-init/render";
import {
  BOOT_SCRIPT_DIR,
  MASTER_ONLY_LIB,
  NODE_LIB_DIR,
  OPERATOR_ONLY_LIBS,
  stripCommentLines,
} from "../../cloud-init/render-files";
import { masterConfig, workerConfig } from "./render-fixtures";

interface Doc {
  write_files: { path: string; content: string; permissions: string }[];
  runcmd: string[][];
}

const execFileAsync = promisify(execFile);

const rendered = {
  master0: renderMasterUserData(masterConfig(0, true)),
  master2: renderMasterUserData(masterConfig(2, false)),
  worker: renderWorkerUserData(workerConfig),
};
const encoded = {
  master0: masterUserDataBase64(masterConfig(0, true)),
  master2: masterUserDataBase64(masterConfig(2, false)),
  worker: workerUserDataBase64(workerConfig),
};
const docs = Object.fromEntries(Object.entries(rendered).map(([k, v]) => [k, parse(v) as Doc]));

/** bash's canonical form of a script: its text as a function body, printed by `declare -f`. */
function bashCanonical(script: string): string {
  return execFileSync(
    "bash",
    ["-c", 'eval "__k8sha_file() {\n$1\n}" && declare -f __k8sha_file', "_", script],
    {
      encoding: "utf8",
    },
  );
}

describe("rendered user-data", () => {
  it("is valid cloud-config for the real cloud-init schema", async () => {
    const dir = mkdtempSync(join(tmpdir(), "k8sha-ud-"));
    // One process per file (the CLI validates only its last --config-file), run in parallel.
    const outputs = await Promise.all(
      Object.entries(rendered).map(([name, text]) => {
        const file = join(dir, `${name}.yaml`);
        writeFileSync(file, text);
        return execFileAsync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
      }),
    );
    for (const { stdout } of outputs) expect(stdout).toMatch(/^Valid cloud-config/m);
  });

  it("fits EC2's 16 KiB once gzipped, and gunzips to the document", () => {
    const sizes = Object.fromEntries(
      Object.entries(encoded).map(([name, b64]) => {
        const raw = Buffer.from(b64, "base64");
        expect(gunzipSync(raw).toString("utf8")).toBe(rendered[name as keyof typeof rendered]);
        return [name, raw.length];
      }),
    );
    console.log(`user-data bytes (gzipped, what EC2 counts): ${JSON.stringify(sizes)}`);
    for (const size of Object.values(sizes)) expect(size).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
  });

  it("ships every boot library for the role and the entry script, semantically identical to the repo", () => {
    const libs = execFileSync("bash", ["-c", `ls "${BOOT_SCRIPT_DIR}/lib" | grep '\\.sh$'`], {
      encoding: "utf8",
    })
      .trim()
      .split("\n")
      .filter((name) => !OPERATOR_ONLY_LIBS.has(name));
    for (const [name, doc] of Object.entries(docs)) {
      const role = name === "worker" ? "worker" : "master";
      const expected = libs.filter((lib) => role === "master" || !MASTER_ONLY_LIB.test(lib));
      const shipped = doc.write_files.filter((f) => f.path.startsWith(`${NODE_LIB_DIR}/`));
      expect(shipped.map((f) => f.path.slice(NODE_LIB_DIR.length + 1)).sort()).toEqual(expected.sort());
      const entry = doc.write_files.find((f) => f.path === `/opt/k8sha/bin/${role}-boot.sh`);
      expect(entry?.permissions).toBe("0755");
      expect(doc.runcmd.at(-1)).toEqual([`/opt/k8sha/bin/${role}-boot.sh`]);
    }
    expect(docs.worker.write_files.some((f) => f.path.endsWith("/etcd-member.sh"))).toBe(false);
    // Semantic identity: the shipped copy is the repo file minus comment lines, and bash parses both
    // to the same code (a stripped line inside a heredoc or string would show up here).
    for (const file of docs.master0.write_files.filter((f) => f.path.startsWith("/opt/k8sha/"))) {
      const repoPath = file.path.startsWith(NODE_LIB_DIR)
        ? join(BOOT_SCRIPT_DIR, "lib", file.path.slice(NODE_LIB_DIR.length + 1))
        : join(BOOT_SCRIPT_DIR, file.path.slice("/opt/k8sha/bin/".length));
      const original = readFileSync(repoPath, "utf8");
      expect(file.content).toBe(stripCommentLines(original));
      expect(bashCanonical(file.content)).toBe(bashCanonical(original));
    }
  });

  it("holds no private key, bootstrap token or CA key", () => {
    for (const text of Object.values(rendered)) {
      expect(text).not.toMatch(/PRIVATE KEY/);
      expect(text).not.toMatch(/-----BEGIN [A-Z ]*-----/);
      expect(text).not.toMatch(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/);
    }
  });

  it("writes node.env and (masters only) the kubeadm ClusterConfiguration", () => {
    const env = (doc: Doc) => doc.write_files.find((f) => f.path === "/etc/k8sha/node.env")?.content ?? "";
    expect(env(docs.master2)).toContain("MASTER_INDEX='2'");
    expect(env(docs.master2)).toContain("BACKUP_BUCKET=''");
    expect(env(docs.master0)).toContain("BACKUP_BUCKET='prod-etcd-backups-123456'");
    expect(env(docs.worker)).toContain("NODE_TAINTS='nvidia.com/gpu=true:NoSchedule'");
    const kubeadm = (doc: Doc) => doc.write_files.some((f) => f.path === "/etc/k8sha/kubeadm-cluster.yaml");
    expect(kubeadm(docs.master0)).toBe(true);
    expect(kubeadm(docs.worker)).toBe(false);
  });
});
