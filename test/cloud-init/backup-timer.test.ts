/**
 * The backup timer installer, run for real into a temp root. Stubbed: systemctl (a recorder;
 * there is no systemd to talk to here) and containerd's `ctr` (a fake that "mounts" an image
 * holding the real etcdctl). The generated units are checked by the real `systemd-analyze verify`.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { METRICS_NAMESPACE } from "../../base/metrics";
import { ETCD_CLIENT_PORT } from "../../base/ports";
import { nodeFacts } from "../../cloud-init/render-env";
import { run } from "../support/etcdCluster";

const LIB = resolve(__dirname, "../../cloud-init/lib");
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "k8sha-timer-"));
  mkdirSync(join(root, "manifests"));
  writeFileSync(
    join(root, "manifests/etcd.yaml"),
    "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: etcd\n    image: registry.k8s.io/etcd:3.6.4-0\n",
  );
  executable("systemctl", `#!/bin/bash\necho "$*" >>"${root}/systemctl.log"\n`);
  // ctr -n k8s.io images mount IMAGE DIR | images unmount DIR
  executable(
    "ctr",
    `#!/bin/bash\necho "$*" >>"${root}/ctr.log"\nif [[ "$3 $4" == "images mount" ]]; then\n` +
      `  mkdir -p "$6/usr/local/bin" && cp /usr/bin/etcdctl "$6/usr/local/bin/etcdctl"\nfi\n`,
  );
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function executable(name: string, content: string): void {
  writeFileSync(join(root, name), content);
  chmodSync(join(root, name), 0o755);
}

function bash(script: string) {
  return run(
    "bash",
    [
      "-c",
      `set -euo pipefail; . ${LIB}/common.sh; . ${LIB}/etcd-tools.sh; . ${LIB}/etcd-backup-timer.sh; ${script}`,
    ],
    {
      ...nodeFacts("master"),
      K8SHA_SYSTEMD_DIR: join(root, "units"),
      K8SHA_BACKUP_ENV_FILE: join(root, "etc/etcd-backup.env"),
      K8SHA_SYSTEMCTL: join(root, "systemctl"),
      K8SHA_CTR: join(root, "ctr"),
      K8SHA_LIB_DIR: LIB,
      K8SHA_ETCD_MANIFEST: join(root, "manifests/etcd.yaml"),
      K8SHA_ETCD_TOOLS_DIR: join(root, "etcd-tools"),
      K8SHA_STATE_DIR: join(root, "state"),
      AWS_DEFAULT_REGION: "eu-west-1",
    },
  );
}

const read = (path: string) => readFileSync(join(root, path), "utf8");

test("installs a valid service + timer at the configured interval and enables it, idempotently", async () => {
  const install = "install_etcd_backup_timer my-bucket dev/etcd/ 20 dev";
  expect((await bash(install)).code).toBe(0);
  const first = [read("units/k8sha-etcd-backup.service"), read("units/k8sha-etcd-backup.timer")];
  expect((await bash(install)).code).toBe(0);
  expect([read("units/k8sha-etcd-backup.service"), read("units/k8sha-etcd-backup.timer")]).toEqual(first);

  const [service, timer] = first as [string, string];
  expect(timer).toMatch(/^OnBootSec=20min$/m);
  expect(timer).toMatch(/^OnUnitActiveSec=20min$/m);
  expect(timer).toMatch(/^RandomizedDelaySec=\d+$/m);
  expect(service).toContain(`EnvironmentFile=${join(root, "etc/etcd-backup.env")}`);
  // The AWS CLI is a snap on Ubuntu nodes: the service must find it without snapd's generator.
  expect(service).toMatch(/^Environment=PATH=[^\n]*:\/snap\/bin$/m);
  expect(service).toMatch(
    new RegExp(`^ExecStart=/bin/bash .*${LIB}/etcd-backup.sh && etcd_backup_once'$`, "m"),
  );
  expect(read("systemctl.log")).toBe("daemon-reload\nenable --now k8sha-etcd-backup.timer\n".repeat(2));

  const verify = await run("systemd-analyze", [
    "verify",
    join(root, "units/k8sha-etcd-backup.timer"),
    join(root, "units/k8sha-etcd-backup.service"),
  ]);
  expect({ code: verify.code, stderr: verify.stderr }).toEqual({ code: 0, stderr: "" });

  // The env file is what etcd_backup_once reads: source it the way bash would.
  const env = await run("bash", ["-c", `set -a; . ${join(root, "etc/etcd-backup.env")}; env`]);
  expect(env.stdout).toContain("K8SHA_BACKUP_BUCKET=my-bucket\n");
  expect(env.stdout).toContain("K8SHA_BACKUP_PREFIX=dev/etcd/\n");
  expect(env.stdout).toContain("K8SHA_BACKUP_CLUSTER=dev\n");
  expect(env.stdout).toContain("AWS_DEFAULT_REGION=eu-west-1\n");
  // node.env's facts, which the service does not source: its endpoint and metrics namespace.
  expect(env.stdout).toContain(`K8SHA_ETCD_ENDPOINT=https://127.0.0.1:${ETCD_CLIENT_PORT}\n`);
  expect(env.stdout).toContain(`K8SHA_METRICS_NAMESPACE=${METRICS_NAMESPACE}\n`);
});

test("refuses a bad interval, a prefix without '/', and values that need quoting", async () => {
  for (const args of ["b dev/etcd/ 0 dev", "b dev/etcd 15 dev", "'b x' dev/etcd/ 15 dev"]) {
    const result = await bash(`install_etcd_backup_timer ${args}`);
    expect({ args, code: result.code }).toEqual({ args, code: 1 });
  }
});

test("copies etcdctl out of the etcd image once per image", async () => {
  expect((await bash("etcd_tools_from_manifest")).code).toBe(0);
  expect((await bash("etcd_tools_from_manifest")).code).toBe(0);
  const version = await run(join(root, "etcd-tools/etcdctl"), ["version"]);
  expect(version.stdout).toContain("etcdctl version: 3.4");
  expect(read("etcd-tools/image")).toBe("registry.k8s.io/etcd:3.6.4-0\n");
  const mounts = read("ctr.log")
    .split("\n")
    .filter((l) => l.includes("images mount"));
  expect(mounts).toHaveLength(1);
  expect(mounts[0]).toMatch(/^-n k8s.io images mount registry.k8s.io\/etcd:3.6.4-0 /);
});
