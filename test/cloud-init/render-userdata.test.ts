/**
 * The rendered user-data, checked with the real tools: `cloud-init schema`, the gzipped size
 * against our 12 KiB budget, what it ships (settings, bootstrap, unit; no boot libraries: those
 * are in the S3 bundle), and secret patterns.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { parse, parseAllDocuments } from "yaml";
import {
  BOOT_UNIT_PATH,
  BOOTSTRAP_PATH,
  masterUserDataBase64,
  renderMasterUserData,
  renderWorkerUserData,
  USER_DATA_BUDGET_BYTES,
  workerUserDataBase64,
} from "../../cloud-init/render";
import { BOOT_SCRIPT_DIR } from "../../cloud-init/render-files";
import { bundleRef, masterConfig, workerConfig } from "../support/render-fixtures";

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
/** What a master writes besides node.env, the bootstrap and the unit (the fixture uses calico). */
const MASTER_CONFIG_FILES = [
  "/etc/k8sha/templates/kubeadm-init.yaml",
  "/etc/k8sha/templates/kubeadm-local.yaml",
  "/etc/k8sha/templates/kubeadm-join.yaml",
  "/etc/k8sha/templates/netplan-stable-address.yaml",
  "/etc/k8sha/kubeadm/patches/etcd+strategic.yaml",
  "/etc/k8sha/cni/calico-installation.yaml",
];
const WORKER_CONFIG_FILES = ["/etc/k8sha/templates/kubeadm-join.yaml"];
const docs = Object.fromEntries(Object.entries(rendered).map(([k, v]) => [k, parse(v) as Doc]));

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

  it("stays under the 12 KiB budget once gzipped, and gunzips to the document", () => {
    const sizes = Object.fromEntries(
      Object.entries(encoded).map(([name, b64]) => {
        const raw = Buffer.from(b64, "base64");
        expect(gunzipSync(raw).toString("utf8")).toBe(rendered[name as keyof typeof rendered]);
        return [name, raw.length];
      }),
    );
    console.log(`user-data bytes (gzipped, what EC2 counts): ${JSON.stringify(sizes)}`);
    for (const size of Object.values(sizes)) expect(size).toBeLessThanOrEqual(USER_DATA_BUDGET_BYTES);
  });

  it("ships settings, config files, the bootstrap (repo bytes) and the unit; runs the bootstrap; no boot libraries", () => {
    const bootstrap = readFileSync(join(BOOT_SCRIPT_DIR, "bootstrap.sh"), "utf8");
    for (const [name, doc] of Object.entries(docs)) {
      const paths = doc.write_files.map((f) => f.path).sort();
      const config = name === "worker" ? WORKER_CONFIG_FILES : MASTER_CONFIG_FILES;
      expect(paths).toEqual([BOOT_UNIT_PATH, "/etc/k8sha/node.env", ...config, BOOTSTRAP_PATH].sort());
      const shipped = doc.write_files.find((f) => f.path === BOOTSTRAP_PATH);
      expect(shipped?.content).toBe(bootstrap);
      expect(shipped?.permissions).toBe("0755");
      const unit = doc.write_files.find((f) => f.path === BOOT_UNIT_PATH)?.content ?? "";
      expect(unit).toMatch(new RegExp(`^ExecStart=${BOOTSTRAP_PATH}$`, "m"));
      // runcmd only starts the unit; the unit runs (and retries) the bootstrap.
      expect(doc.runcmd.at(-1)).toEqual(["systemctl", "start", "--no-block", "k8sha-boot.service"]);
      expect(unit).toMatch(/^Restart=on-failure$/m);
      expect(unit).toMatch(/^StartLimitIntervalSec=0$/m);
      // systemd's own parser: every key known and valid (only the bootstrap is absent here).
      const dir = mkdtempSync(join(tmpdir(), "k8sha-unit-"));
      writeFileSync(join(dir, "k8sha-boot.service"), unit);
      const analyze = spawnSync("systemd-analyze", ["verify", "--man=no", join(dir, "k8sha-boot.service")], {
        encoding: "utf8",
      });
      const complaints = analyze.stderr.split("\n").filter((l) => l && !l.includes(BOOTSTRAP_PATH));
      expect(complaints).toEqual([]);
    }
  });

  it("refuses a bundle reference the bootstrap could not verify", () => {
    const badSha = { ...bundleRef("worker"), sha256: "A".repeat(64) };
    expect(() => renderWorkerUserData({ ...workerConfig, bootBundle: badSha })).toThrow(/64 hex digits/);
    const noKey = { ...bundleRef("master"), key: "" };
    expect(() => renderMasterUserData({ ...masterConfig(0, true), bootBundle: noKey })).toThrow(/required/);
  });

  it("holds no private key, bootstrap token or CA key", () => {
    for (const text of Object.values(rendered)) {
      expect(text).not.toMatch(/PRIVATE KEY/);
      expect(text).not.toMatch(/-----BEGIN [A-Z ]*-----/);
      expect(text).not.toMatch(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/);
    }
  });

  it("writes node.env (with the bundle reference) and (masters only) the kubeadm ClusterConfiguration", () => {
    const file = (doc: Doc, path: string) => doc.write_files.find((f) => f.path === path)?.content ?? "";
    const env = (doc: Doc) => doc.write_files.find((f) => f.path === "/etc/k8sha/node.env")?.content ?? "";
    expect(env(docs.master2)).toContain("MASTER_INDEX='2'");
    expect(env(docs.master2)).toContain("BACKUP_BUCKET=''");
    expect(env(docs.master0)).toContain("BACKUP_BUCKET='prod-etcd-backups-123456'");
    // The pool's taints, in the worker's JoinConfiguration (node.env no longer carries them).
    const workerJoin = parse(file(docs.worker, "/etc/k8sha/templates/kubeadm-join.yaml"));
    expect(workerJoin.nodeRegistration.taints).toEqual([
      { key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" },
    ]);
    for (const [role, doc] of [
      ["master", docs.master2],
      ["worker", docs.worker],
    ] as const) {
      const ref = bundleRef(role);
      expect(env(doc)).toContain(`BOOT_BUNDLE_BUCKET='${ref.bucket}'`);
      expect(env(doc)).toContain(`BOOT_BUNDLE_KEY='${ref.key}'`);
      expect(env(doc)).toContain(`BOOT_BUNDLE_SHA256='${ref.sha256}'`);
    }
    const kinds = (doc: Doc) =>
      doc.write_files
        .filter((f) => f.path.includes("/kubeadm-"))
        .flatMap((f) => parseAllDocuments(f.content).map((d) => (d.toJS() as { kind: string }).kind));
    expect(kinds(docs.master0)).toContain("ClusterConfiguration");
    expect(kinds(docs.worker)).toEqual(["JoinConfiguration"]);
  });
});
