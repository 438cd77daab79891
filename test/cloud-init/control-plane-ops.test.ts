/**
 * k8sha-control-plane's checks (preflight, validate) on the three-master bench of
 * test/support/controlPlaneSandbox.ts (real etcd members, the node sandbox's stubs): a healthy
 * cluster passes, and each fault turns its own check red: a usage error, a member count that
 * is not --masters, a NotReady Node, an unstarted learner, a stopped member, an etcd alarm.
 * The upgrade is control-plane-ops-upgrade.test.ts, versions/move-leader/drain
 * control-plane-ops-maintenance.test.ts.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { controlPlaneSandbox, lines, M1, M3, MASTERS } from "../support/controlPlaneSandbox";
import { ETCD_BIN } from "../support/etcdCluster";
import { issueCert } from "../support/pki";

const cpo = controlPlaneSandbox({ clientPort: 25379, peerPort: 25380 });
const { cli, dirOf, editNode } = cpo;

test("preflight passes on a healthy cluster: every check one ok line, then result: pass", async () => {
  const r = await cli(M1, "preflight", "--masters", "3");
  expect(r.stdout).not.toMatch(/^FAIL/m);
  for (const check of [
    "etcd-members: 3",
    "etcd-started",
    "etcd-voting",
    "etcd-health: 3 endpoints healthy",
    "etcd-alarms: none",
  ])
    expect(r.stdout).toContain(`ok ${check}`);
  expect(r.stdout).toMatch(/^ok etcd-leader: one leader, https:\/\/127\.0\.73\.\d:25379$/m);
  for (const m of MASTERS) {
    expect(r.stdout).toContain(`ok node/${m.name}: Ready, ${m.ip}, kubelet v1.34.2`);
    expect(r.stdout).toContain(
      `ok static-pods/${m.name}: kube-apiserver, kube-controller-manager, kube-scheduler, etcd Ready`,
    );
  }
  expect(lines(r.stdout).at(-1)).toBe("result: pass");
  expect(r.code).toBe(0);
});

test("a usage error is exit 2 with a FAIL and a result line", async () => {
  const r = await cli(M1, "preflight");
  expect([r.code, r.stdout]).toEqual([2, "FAIL usage: preflight needs --masters N\nresult: fail\n"]);
});

test("validate: the API's /readyz on top of the preflight, and each pool's Ready Nodes against its minimum", async () => {
  const r = await cli(
    M1,
    "validate",
    "--masters",
    "3",
    "--pools",
    "general=1,spare=0",
    "--pool-label",
    "k8sha.io/pool",
  );
  expect(r.stdout).toContain("ok api-readyz: ok\n");
  expect(r.stdout).toContain("ok etcd-health: 3 endpoints healthy\n");
  expect(r.stdout).toContain("ok control-plane-nodes: 3\n");
  // No worker joined this cluster: a pool with a minimum is red, one without is not.
  expect(r.stdout).toContain("FAIL pool/general: 0 of 0 Nodes Ready, minimum 1\n");
  expect(r.stdout).toContain("ok pool/spare: 0 of 0 Nodes Ready (minimum 0)\n");
  expect([r.code, lines(r.stdout).at(-1)]).toEqual([1, "result: fail"]);
  const noLabel = await cli(M1, "validate", "--masters", "3", "--pools", "general=1");
  expect([noLabel.code, lines(noLabel.stdout).at(0)]).toEqual([
    2,
    "FAIL usage: --pools needs NAME=MIN,... and --pool-label KEY",
  ]);
  const injected = await cli(M1, "validate", "--masters", "3", "--pools", "a=1;touch", "--pool-label", "x");
  expect(injected.code).toBe(2);
});

test("preflight fails on a member count that is not --masters, and on a NotReady control-plane Node", async () => {
  const five = await cli(M1, "preflight", "--masters", "5");
  expect(five.stdout).toContain("FAIL etcd-members: 3 members, expected 5");
  expect(five.stdout).toContain("FAIL control-plane-nodes: 3 control-plane Nodes, expected 5");
  expect([five.code, lines(five.stdout).at(-1)]).toEqual([1, "result: fail"]);
  editNode("m2", { ready: false });
  const notReady = await cli(M1, "preflight", "--masters", "3");
  editNode("m2", { ready: true });
  expect(notReady.stdout).toContain("FAIL node/m2: Ready=False, 127.0.73.2, kubelet v1.34.2");
  expect(notReady.stdout).toContain("ok node/m3: Ready");
  expect([notReady.code, lines(notReady.stdout).at(-1)]).toEqual([1, "result: fail"]);
});

test("preflight fails on an unstarted learner: count, started and voting", async () => {
  const url = cpo.cluster.clientUrl(M1.ip);
  const add = ["member", "add", "m4", `--peer-urls=${cpo.cluster.peerUrl("127.0.73.4")}`, "--learner"];
  let added = await cpo.cluster.etcdctl(add, [url]);
  // etcd refuses a member add until the serving member has seen every voter for 5 s.
  for (let i = 0; i < 20 && added.code !== 0; i++) {
    await new Promise((r) => setTimeout(r, 500));
    added = await cpo.cluster.etcdctl(add, [url]);
  }
  const id = /Member +([0-9a-f]+) added/.exec(added.stdout)?.[1] ?? "";
  expect(id).not.toBe("");
  const r = await cli(M1, "preflight", "--masters", "3");
  await cpo.cluster.etcdctlOk(["member", "remove", id], [url]);
  expect(r.stdout).toContain("FAIL etcd-members: 4 members, expected 3");
  expect(r.stdout).toContain(`FAIL etcd-started: not started: ${id} (https://127.0.73.4:25380)`);
  expect(r.stdout).toContain(`FAIL etcd-voting: learners: ${id} (https://127.0.73.4:25380)`);
  expect(r.code).toBe(1);
});

test("preflight fails while a member is stopped: health, leader status and its etcd pod", async () => {
  await cpo.cluster.stop("m3");
  const r = await cli(M1, "preflight", "--masters", "3");
  const child = cpo.cluster.start(M3, {
    initialCluster: cpo.cluster.initialCluster(MASTERS),
    initialClusterState: "existing",
  });
  writeFileSync(join(dirOf(M3), "pods/etcd.pid"), String(child.pid));
  expect(r.stdout).toContain("FAIL etcd-health: https://127.0.73.3:25379 unhealthy");
  expect(r.stdout).toMatch(/^FAIL etcd-leader: not every member answered endpoint status/m);
  expect(r.stdout).toContain("FAIL static-pods/m3: not Ready: etcd(False)");
  expect(r.stdout).toContain("ok static-pods/m2:");
  expect([r.code, lines(r.stdout).at(-1)]).toEqual([1, "result: fail"]);
  await cpo.cluster.waitHealthy(
    MASTERS.map((m) => cpo.cluster.clientUrl(m.ip)),
    20000,
  );
  expect((await cli(M1, "preflight", "--masters", "3")).code).toBe(0);
});

test("preflight fails on an etcd alarm: a member with a tiny backend quota, filled", async () => {
  const url = cpo.cluster.clientUrl(M3.ip);
  const size = Number(
    /"DBSize" : (\d+)/.exec(await cpo.cluster.etcdctlOk(["endpoint", "status", "-w", "fields"], [url]))?.[1],
  );
  await cpo.cluster.stop("m3");
  // The harness passes no extra flag: m3 again as it starts it, with the quota added.
  const tls = issueCert(cpo.cluster.ca, `member-${M3.ip}`, [M3.ip, "127.0.0.1"]);
  const [peer, client] = [cpo.cluster.peerUrl(M3.ip), url];
  const quota = spawn(ETCD_BIN, [
    ...[
      "--name",
      "m3",
      "--data-dir",
      cpo.cluster.defaultDataDir("m3"),
      "--quota-backend-bytes",
      String(size + 65536),
    ],
    ...["--listen-client-urls", client, "--advertise-client-urls", client, "--listen-peer-urls", peer],
    ...["--initial-advertise-peer-urls", peer, "--initial-cluster", cpo.cluster.initialCluster(MASTERS)],
    ...[
      "--cert-file",
      tls.cert,
      "--key-file",
      tls.key,
      "--trusted-ca-file",
      cpo.cluster.ca.cert,
      "--client-cert-auth",
    ],
    ...[
      "--peer-cert-file",
      tls.cert,
      "--peer-key-file",
      tls.key,
      "--peer-trusted-ca-file",
      cpo.cluster.ca.cert,
    ],
    ...["--peer-client-cert-auth", "--log-outputs", join(cpo.cluster.dir, "m3-quota.log"), "--logger", "zap"],
  ]);
  cpo.keep(quota);
  writeFileSync(join(dirOf(M3), "pods/etcd.pid"), String(quota.pid));
  await cpo.cluster.waitHealthy([url], 20000);
  let full = "";
  for (let i = 0; i < 40 && !full; i++) {
    const put = await cpo.cluster.etcdctl(["put", `fill/${i}`, "x".repeat(16384)], [url]);
    if (put.stderr.includes("database space exceeded")) full = put.stderr;
  }
  expect(full).not.toBe("");
  const r = await cli(M1, "preflight", "--masters", "3");
  expect(r.stdout).toMatch(/^FAIL etcd-alarms: memberID:\d+ alarm:NOSPACE/m);
  expect([r.code, lines(r.stdout).at(-1)]).toEqual([1, "result: fail"]);
});
