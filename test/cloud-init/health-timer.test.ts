/**
 * The node health timer (lib/health-timer.sh), installed for real into a temp root with a
 * recording systemctl, its units checked by the real `systemd-analyze verify`, and the service's
 * own ExecStart run with its env file. Also the arithmetic of lib/health.sh on chosen counters:
 * the histogram p99 since the last run and the 15-minute leader-change window.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { HEALTH_DIMENSIONS, HEALTH_METRICS } from "../../base/healthMetrics";
import { METRICS_NAMESPACE } from "../../base/metrics";
import { nodeFacts } from "../../cloud-init/render-env";
import { roleManifest } from "../../cloud-init/roles";
import { run } from "../support/etcdCluster";

const LIB = resolve(__dirname, "../../cloud-init/lib");
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "k8sha-health-timer-"));
  executable("systemctl", `#!/bin/bash\necho "$*" >>"${root}/systemctl.log"\n`);
  executable("aws", `#!/bin/bash\nprintf '%s\\n' "$*" >>"${root}/aws.log"\n`);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function executable(name: string, content: string): void {
  writeFileSync(join(root, name), content);
  chmodSync(join(root, name), 0o755);
}

const read = (path: string) => readFileSync(join(root, path), "utf8");

function bash(script: string, env: Record<string, string> = {}) {
  return run(
    "bash",
    ["-c", `set -euo pipefail; . ${LIB}/common.sh; . ${LIB}/health-timer.sh; . ${LIB}/health.sh; ${script}`],
    {
      ...nodeFacts("master"),
      AWS_DEFAULT_REGION: "eu-west-1",
      MEMBER_ADDRESSES: "127.0.9.1 127.0.9.2",
      K8SHA_SYSTEMD_DIR: join(root, "units"),
      K8SHA_HEALTH_ENV_FILE: join(root, "etc/node-health.env"),
      K8SHA_SYSTEMCTL: join(root, "systemctl"),
      K8SHA_LIB_DIR: LIB,
      K8SHA_STATE_DIR: join(root, "state"),
      K8SHA_ETCDCTL: "/usr/bin/etcdctl",
      K8SHA_PKI_DIR: join(root, "pki"),
      K8SHA_KUBECONFIG_DIR: join(root, "kube"),
      // Nothing listens there: the run below meets a dead etcd.
      K8SHA_HEALTH_ETCD_METRICS_URL: "http://127.0.9.1:26981/metrics",
      ...env,
    },
  );
}

test("installs a valid 60 s service + timer with its env file, idempotently, and enables it", async () => {
  const install = "install_health_timer dev eu-west-1a";
  expect((await bash(install)).code).toBe(0);
  const first = [read("units/k8sha-node-health.service"), read("units/k8sha-node-health.timer")];
  expect((await bash(install)).code).toBe(0);
  expect([read("units/k8sha-node-health.service"), read("units/k8sha-node-health.timer")]).toEqual(first);
  const [service, timer] = first as [string, string];
  expect(timer).toMatch(/^OnUnitActiveSec=60s$/m);
  expect(timer).toMatch(/^OnBootSec=\d+min$/m);
  // A run must end before the next one is due.
  expect(service).toMatch(/^TimeoutStartSec=(5\d|[1-4]?\d)s$/m);
  expect(service).toMatch(/^Environment=PATH=[^\n]*:\/snap\/bin$/m);
  expect(service).toMatch(
    new RegExp(
      `^ExecStart=/bin/bash .*${LIB}/cert-expiry.sh && . ${LIB}/health.sh && health_report_once'$`,
      "m",
    ),
  );
  expect(read("systemctl.log")).toBe("daemon-reload\nenable --now k8sha-node-health.timer\n".repeat(2));

  const verify = await run("systemd-analyze", [
    "verify",
    join(root, "units/k8sha-node-health.timer"),
    join(root, "units/k8sha-node-health.service"),
  ]);
  expect({ code: verify.code, stderr: verify.stderr }).toEqual({ code: 0, stderr: "" });

  const env = await run("bash", ["-c", `set -a; . ${join(root, "etc/node-health.env")}; env`]);
  expect(env.stdout).toContain("K8SHA_HEALTH_CLUSTER=dev\n");
  expect(env.stdout).toContain("K8SHA_HEALTH_ZONE=eu-west-1a\n");
  expect(env.stdout).toContain(`K8SHA_METRICS_NAMESPACE=${METRICS_NAMESPACE}\n`);
  expect(env.stdout).toContain(
    "K8SHA_HEALTH_ETCD_ENDPOINTS=https://127.0.0.1:2379,https://127.0.9.1:2379,https://127.0.9.2:2379\n",
  );
  expect(env.stdout).toContain("K8SHA_HEALTH_ETCD_METRICS_URL=http://127.0.9.1:26981/metrics\n");
  // The unit reads only this file: node.env's metric names must be copied into it.
  const facts = nodeFacts("master");
  const names = Object.keys(facts).filter((k) => k.startsWith("K8SHA_M_") && k !== "K8SHA_M_BOOT_FAILED");
  expect(names.length).toBe(10);
  for (const k of names) expect(env.stdout).toContain(`${k}=${facts[k]}\n`);
  // And the dimensions' names, which health.sh puts on every datum.
  expect(env.stdout).toContain(`K8SHA_D_CLUSTER=${HEALTH_DIMENSIONS.cluster}\n`);
  expect(env.stdout).toContain(`K8SHA_D_ZONE=${HEALTH_DIMENSIONS.zone}\n`);
});

test("kubeadm's etcd metrics URL is the default", async () => {
  const result = await bash(
    `install_health_timer dev eu-west-1b && grep METRICS_URL ${join(root, "etc/node-health.env")}`,
    { K8SHA_HEALTH_ETCD_METRICS_URL: "" },
  );
  expect(result.stdout).toBe("K8SHA_HEALTH_ETCD_METRICS_URL='http://127.0.0.1:2381/metrics'\n");
});

test("refuses a missing zone and values that need quoting", async () => {
  for (const args of ["dev ''", "'d v' eu-west-1a", "dev 'eu$x'"]) {
    const result = await bash(`install_health_timer ${args}`);
    expect({ args, code: result.code }).toEqual({ args, code: 1 });
  }
});

test("the service's ExecStart, with its env file, publishes one put against a dead etcd", async () => {
  expect((await bash("install_health_timer dev eu-west-1a")).code).toBe(0);
  const exec = /^ExecStart=\/bin\/bash -euo pipefail -c '(.*)'$/m.exec(
    read("units/k8sha-node-health.service"),
  );
  const script = `set -a; . ${join(root, "etc/node-health.env")}; set +a; ${exec?.[1]}`;
  const result = await run("bash", ["-euo", "pipefail", "-c", script], {
    K8SHA_METRICS_AWS: join(root, "aws"),
  });
  expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
  const calls = read("aws.log").trim().split("\n");
  expect(calls).toHaveLength(1);
  const m = /^cloudwatch put-metric-data --namespace (\S+) --metric-data (.*)$/.exec(calls[0] ?? "");
  expect(m?.[1]).toBe(METRICS_NAMESPACE);
  const data = JSON.parse(m?.[2] ?? "[]") as { MetricName: string; Value: number }[];
  expect(Object.fromEntries(data.map((d) => [d.MetricName, d.Value]))).toEqual({
    EtcdHasLeader: 0,
    EtcdHealthyMembers: 0,
    ApiServerReady: 0,
    ControllerManagerHealthy: 0,
    SchedulerHealthy: 0,
  });
});

test("every master ships both libraries and installs the timer at every boot", () => {
  expect(roleManifest("master").libraries).toEqual(expect.arrayContaining(["health.sh", "health-timer.sh"]));
  expect(roleManifest("worker").libraries).not.toContain("health.sh");
  const boot = readFileSync(resolve(__dirname, "../../cloud-init/master-boot.sh"), "utf8");
  // `step`, not `run_step`: a run_step marker would skip the rewrite on the next boot.
  expect(boot).toMatch(
    /^step node-health-timer\ninstall_health_timer "\$CLUSTER_NAME" "\$AVAILABILITY_ZONE"$/m,
  );
});

test("health.sh publishes exactly the names base/healthMetrics.ts gives the alarms", () => {
  const script = readFileSync(join(LIB, "health.sh"), "utf8");
  // Each line is HEALTH_M_X="${K8SHA_M_X:-Name}": the default is the name a run without node.env uses.
  const names = [...script.matchAll(/^HEALTH_M_([A-Z_]+)="\$\{K8SHA_M_([A-Z_]+):-(\w+)\}"$/gm)].map((m) => {
    expect(m[2]).toBe(m[1]);
    return m[3];
  });
  // BootFailed comes from the boot's failure path, not from the timer.
  const expected = Object.values(HEALTH_METRICS).filter((n) => n !== HEALTH_METRICS.bootFailed);
  expect([...names].sort()).toEqual([...expected].sort());
});

describe("p99 since the last run", () => {
  const p99 = async (state: string | undefined, buckets: string) => {
    const file = join(root, `p99-${Math.random().toString(36).slice(2)}`);
    if (state !== undefined) writeFileSync(file, state);
    const result = await bash(`health_p99 ${file} "$1"`.replace('"$1"', `'${buckets}'`));
    return { out: result.stdout, saved: readFileSync(file, "utf8") };
  };
  const PREV = "0.001 5\n0.002 10\n0.004 10\n+Inf 10";

  test("interpolates inside the bucket holding the 99th of the new observations", async () => {
    // 100 new observations, all between 2 and 4 ms: 0.002 + 0.002 * 99/100.
    const now = "0.001 5\n0.002 10\n0.004 110\n+Inf 110";
    expect(await p99(PREV, now)).toEqual({ out: "0.003980\n", saved: `${now}\n` });
  });

  test("the first run counts every observation; a restarted etcd's counts start anew", async () => {
    expect((await p99(undefined, "0.001 100\n0.002 100\n+Inf 100")).out).toBe("0.000990\n");
    expect((await p99(PREV, "0.001 1\n0.002 1\n0.004 1\n+Inf 1")).out).toBe("0.000990\n");
  });

  test("beyond the last finite bucket: that bound; no new observation: nothing", async () => {
    expect((await p99(PREV, "0.001 5\n0.002 10\n0.004 10\n+Inf 110")).out).toBe("0.004000\n");
    expect((await p99(PREV, PREV)).out).toBe("");
  });
});

test("leader changes: counted over the last 15 minutes, across a counter reset", async () => {
  const file = join(root, "leader-changes");
  const at = (now: number, value: number) =>
    bash(`health_leader_changes ${file} ${now} ${value}`).then((r) => r.stdout.trim());
  expect(await at(1000, 3)).toBe("0");
  expect(await at(1060, 5)).toBe("2");
  expect(await at(1120, 1)).toBe("3"); // etcd restarted: its counter is 1 again
  // 16 minutes after the first sample: the window starts from the sample at 1060.
  expect(await at(1960, 1)).toBe("1");
  expect(await at(3000, 1)).toBe("0");
});
