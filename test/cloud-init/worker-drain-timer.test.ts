/**
 * The worker-drain timer installer (cloud-init/lib/worker-drain-timer.sh), run for real into a
 * temp root. Stubbed: systemctl (a recorder; no systemd runs here). The generated units are
 * checked by the real `systemd-analyze verify`, the env file by sourcing it in bash.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WORKER_DRAIN } from "../../base/workerDrain";
import { run } from "../support/etcdCluster";
import { LIB_DIR, NODE_FACTS, runLib } from "../support/fakes/bashLib";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("installs a valid service and timer that run the handler, and its env file, idempotently", async () => {
  const root = mkdtempSync(join(tmpdir(), "k8sha-drain-timer-"));
  dirs.push(root);
  mkdirSync(join(root, "bin"));
  writeFileSync(join(root, "bin/systemctl"), `#!/bin/bash\necho "$*" >>"${root}/systemctl.log"\n`);
  chmodSync(join(root, "bin/systemctl"), 0o755);
  const install = () =>
    runLib(["etcd-backup-timer.sh", "worker-drain-timer.sh"], 'install_worker_drain_timer "$@"', ["dev"], {
      K8SHA_SYSTEMD_DIR: join(root, "units"),
      K8SHA_DRAIN_ENV_FILE: join(root, "etc/worker-drain.env"),
      K8SHA_SYSTEMCTL: join(root, "bin/systemctl"),
      K8SHA_LIB_DIR: LIB_DIR,
      K8SHA_ADMIN_KUBECONFIG: join(root, "admin.conf"),
      AWS_DEFAULT_REGION: "eu-west-1",
    });
  const units = () =>
    ["service", "timer"].map((t) => readFileSync(join(root, `units/k8sha-worker-drain.${t}`), "utf8"));
  expect((await install()).code).toBe(0);
  const first = units();
  expect((await install()).code).toBe(0);
  expect(units()).toEqual(first);
  const [service, timer] = first as [string, string];
  expect(service).toMatch(
    new RegExp(
      `^ExecStart=/bin/bash .*${LIB_DIR}/stale-nodes.sh && \\. ${LIB_DIR}/worker-drain.sh && worker_drain_once'$`,
      "m",
    ),
  );
  expect(service).toContain(`ConditionPathExists=${join(root, "admin.conf")}`);
  expect(service).toMatch(/^Environment=PATH=[^\n]*:\/snap\/bin$/m);
  expect(timer).toMatch(/^OnUnitActiveSec=30s$/m);
  expect(readFileSync(join(root, "systemctl.log"), "utf8")).toBe(
    "daemon-reload\nenable --now k8sha-worker-drain.timer\n".repeat(2),
  );
  const verify = await run("systemd-analyze", [
    "verify",
    join(root, "units/k8sha-worker-drain.timer"),
    join(root, "units/k8sha-worker-drain.service"),
  ]);
  expect({ code: verify.code, stderr: verify.stderr }).toEqual({ code: 0, stderr: "" });

  // What worker_drain_once reads, sourced the way systemd's EnvironmentFile would give it.
  const env = await run("bash", ["-c", `set -a; . ${join(root, "etc/worker-drain.env")}; env`]);
  for (const line of [
    "K8SHA_DRAIN_CLUSTER=dev",
    "AWS_DEFAULT_REGION=eu-west-1",
    `TAG_CLUSTER=${NODE_FACTS.TAG_CLUSTER}`,
    `TAG_ROLE=${NODE_FACTS.TAG_ROLE}`,
    `WORKER_DRAIN_HOOK=${WORKER_DRAIN.hookName}`,
    `WORKER_DRAIN_HEARTBEAT_SECONDS=${WORKER_DRAIN.heartbeatTimeoutSeconds}`,
    `WORKER_DRAIN_TIMEOUT_SECONDS=${WORKER_DRAIN.drainTimeoutSeconds}`,
    `K8SHA_ETCD_ENDPOINT=https://127.0.0.1:${NODE_FACTS.ETCD_CLIENT_PORT}`,
  ])
    expect(env.stdout).toContain(`${line}\n`);
});
