/**
 * The add-on timer installer (cloud-init/lib/addons-timer.sh), run for real into a temp root.
 * Stubbed: systemctl (a recorder; no systemd runs here). The generated units are checked by the
 * real `systemd-analyze verify`, the env file by sourcing it in bash, and the service's own
 * command line is run with the env file against a follower-less setup to prove it reaches the
 * applier's entry point (addons-apply.test.ts tests what the applier does).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADDON_LABEL, ADDON_NAMESPACE } from "../../base/addons";
import { addonsParameterName } from "../../base/ssmPaths";
import { masterEnv } from "../../cloud-init/render-env";
import { run } from "../support/etcdCluster";
import { LIB_DIR, NODE_FACTS, runLib } from "../support/fakes/bashLib";
import { masterConfig } from "../support/render-fixtures";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function root(): string {
  const dir = mkdtempSync(join(tmpdir(), "k8sha-addons-timer-"));
  dirs.push(dir);
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "bin/systemctl"), `#!/bin/bash\necho "$*" >>"${dir}/systemctl.log"\n`);
  chmodSync(join(dir, "bin/systemctl"), 0o755);
  return dir;
}

const install = (dir: string, parameter: string) =>
  runLib(["etcd-backup-timer.sh", "addons-timer.sh"], 'install_addons_timer "$@"', [parameter], {
    K8SHA_SYSTEMD_DIR: join(dir, "units"),
    K8SHA_ADDONS_ENV_FILE: join(dir, "etc/addons.env"),
    K8SHA_SYSTEMCTL: join(dir, "bin/systemctl"),
    K8SHA_LIB_DIR: LIB_DIR,
    K8SHA_ADMIN_KUBECONFIG: join(dir, "admin.conf"),
    AWS_DEFAULT_REGION: "eu-west-1",
  });

test("the master's node.env names the add-on pointer and the facts the applier reads", () => {
  const env = masterEnv(masterConfig(1, false));
  expect(env.ADDONS_PARAMETER).toBe(addonsParameterName("prod"));
  expect(env.ADDON_NAMESPACE).toBe(ADDON_NAMESPACE);
  expect(env.ADDON_LABEL).toBe(ADDON_LABEL);
});

test("installs a valid service and 60 s timer that run the applier, and its env file, idempotently", async () => {
  const dir = root();
  const parameter = addonsParameterName("dev");
  const units = () =>
    ["service", "timer"].map((t) => readFileSync(join(dir, `units/k8sha-addons.${t}`), "utf8"));
  expect((await install(dir, parameter)).code).toBe(0);
  const first = units();
  expect((await install(dir, parameter)).code).toBe(0);
  expect(units()).toEqual(first);
  const [service, timer] = first as [string, string];
  expect(service).toMatch(
    new RegExp(
      `^ExecStart=/bin/bash .*\\. ${LIB_DIR}/etcd-backup.sh && \\. ${LIB_DIR}/leader.sh && \\. ${LIB_DIR}/addons.sh && addons_apply_once'$`,
      "m",
    ),
  );
  expect(service).toContain(`ConditionPathExists=${join(dir, "admin.conf")}`);
  expect(service).toMatch(/^Type=oneshot$/m);
  expect(service).toMatch(/^Environment=PATH=[^\n]*:\/snap\/bin$/m);
  expect(timer).toMatch(/^OnUnitActiveSec=60s$/m);
  expect(readFileSync(join(dir, "systemctl.log"), "utf8")).toBe(
    "daemon-reload\nenable --now k8sha-addons.timer\n".repeat(2),
  );
  const verify = await run("systemd-analyze", [
    "verify",
    join(dir, "units/k8sha-addons.timer"),
    join(dir, "units/k8sha-addons.service"),
  ]);
  expect({ code: verify.code, stderr: verify.stderr }).toEqual({ code: 0, stderr: "" });

  // What addons_apply_once reads, sourced the way systemd's EnvironmentFile would give it.
  const env = await run("bash", ["-c", `set -a; . ${join(dir, "etc/addons.env")}; env`]);
  for (const line of [
    `ADDONS_PARAMETER=${parameter}`,
    `ADDON_NAMESPACE=${ADDON_NAMESPACE}`,
    `ADDON_LABEL=${ADDON_LABEL}`,
    "AWS_DEFAULT_REGION=eu-west-1",
    `K8SHA_ADMIN_KUBECONFIG=${join(dir, "admin.conf")}`,
    `K8SHA_ETCD_ENDPOINT=https://127.0.0.1:${NODE_FACTS.ETCD_CLIENT_PORT}`,
  ])
    expect(env.stdout).toContain(`${line}\n`);
});

test("the service's command line reaches the applier with the env file's settings", async () => {
  const dir = root();
  expect((await install(dir, addonsParameterName("dev"))).code).toBe(0);
  const service = readFileSync(join(dir, "units/k8sha-addons.service"), "utf8");
  const command = /^ExecStart=\/bin\/bash -euo pipefail -c '(.*)'$/m.exec(service)?.[1] ?? "";
  expect(command).not.toBe("");
  // No etcd answers on this endpoint: the applier must get as far as its leader check and fail there.
  const r = await run("bash", [
    "-euo",
    "pipefail",
    "-c",
    [
      `set -a; . ${join(dir, "etc/addons.env")}`,
      "K8SHA_ETCD_ENDPOINT=https://127.0.0.1:1 K8SHA_ETCD_MANIFEST= K8SHA_ETCDCTL=/usr/bin/etcdctl K8SHA_RETRY_MAX=1",
      `set +a; ${command}`,
    ].join("\n"),
  ]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("cannot tell whether this master is the etcd leader; not applying");
});

test("refuses a parameter that is no SSM name, writing nothing", async () => {
  const dir = root();
  const r = await install(dir, "");
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("must be an SSM name");
  expect(() => readFileSync(join(dir, "units/k8sha-addons.service"))).toThrow();
});
