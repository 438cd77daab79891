/**
 * The whole-cluster simulation (test/support/sandbox/simulation.ts) of the real dev stack's control
 * plane: its three masters and a worker boot at the same moment; master 0 inits, masters 1 and 2
 * join one at a time, the worker joins. `npm run validate` (and `k8sha-validate` on a master) is
 * held to all green on the healthy cluster and to the right red line for each fault injected (each
 * undone before the next test), and each master's health timer publishes what it sees. Last, the
 * loss that used to need a person: two of three masters at the same moment, both back without
 * quorum to start with. The other losses (one master three times in a row, all three, a volume, a
 * reboot without the volume) are master-losses.sim.ts, on demand. Every node boots from its launch
 * template's rendered user-data with only the Ubuntu 24.04 AMI's commands plus what the boot
 * installs on PATH (test/support/sandbox/node.ts says what is real and what is stubbed).
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { HEALTH_METRICS, METRICS_NAMESPACE } from "../../base/healthMetrics";
import { healthReportNow } from "../support/sandbox/health";
import type { NodeSandbox } from "../support/sandbox/node";
import { backupNow } from "../support/sandbox/rolling";
import { simulationSuite } from "../support/sandbox/suite";
import { enlistWorker, validateFromOperator, validateOnMaster } from "../support/sandbox/validate";

const current = simulationSuite(3, true);
const master = (i: number) => current().masters[i] as NodeSandbox;

const stamp = (line: string) => Date.parse(line.slice(0, 20));
/**
 * When the boot's join ran under the control-plane join lock, from its own log lines: from
 * "holding" (logged once etcd granted the lock) to "finished ... under" (logged when the join
 * ended, before the release). Not to "released": on a loaded machine that line can be logged
 * after the next holder's "holding", although etcd released the lock first.
 */
function lockWindow(log: string): [number, number] {
  const lines = log.split("\n");
  const held = lines.find((l) => l.includes("holding the etcd lock k8sha/control-plane-join")) ?? "";
  const done =
    lines.find((l) => / finished \S+ under the etcd lock k8sha\/control-plane-join /.test(l)) ?? "";
  return [stamp(held), stamp(done)];
}

test("master 0 inits, with etcdctl copied out of the etcd image before its first etcd step", async () => {
  const sim = current();
  const [r] = sim.freshBoots;
  const m0 = master(0);
  expect(r?.log).not.toContain("command not found");
  expect(r?.code).toBe(0);
  expect(r?.log).toContain("boot mode: init");
  expect(m0.read("var/lib/k8sha/boot-succeeded")).not.toBe("");
  expect(m0.read("opt/k8sha/etcd/image")).toBe("registry.k8s.io/etcd:3.6.5-0\n");
  // Identity right after kubeadm init, before the initialised marker and the CNI.
  const steps = (r?.log ?? "")
    .split("\n")
    .filter((l) => / k8sha\[[a-z-]+\]: begin$/.test(l))
    .map((l) => /\[([a-z-]+)\]/.exec(l)?.[1]);
  expect(steps.indexOf("etcd-tools")).toBeLessThan(steps.indexOf("kubeadm-init"));
  expect(steps.indexOf("etcd-identity")).toBe(steps.indexOf("kubeadm-init") + 1);
  expect(m0.readMounted("/var/lib/etcd-volume/k8sha-identity")).toMatch(
    /^cluster=dev\nmember_id=[0-9a-f]+\n/,
  );
  // kubeadm 1.34's pause image, not containerd's own default.
  expect(m0.read("etc/containerd/config.toml")).toContain("sandbox = 'registry.k8s.io/pause:3.10.1'");
  expect(m0.read("etc/systemd/system/kubelet.service.d/20-k8sha-etcd-volume.conf")).toContain(
    "RequiresMountsFor=/var/lib/etcd-volume",
  );
  const pod = parse(m0.read("etc/kubernetes/manifests/etcd.yaml")) as {
    spec: { volumes: { name: string; hostPath: { path: string; type: string } }[] };
  };
  expect(pod.spec.volumes.find((v) => v.name === "etcd-data")?.hostPath).toEqual({
    path: "/var/lib/etcd-volume/data",
    type: "Directory",
  });
});

test("masters 1 and 2 wait for the init, then join one at a time through the etcd lock", async () => {
  const sim = current();
  const [, r1, r2] = sim.freshBoots;
  const [m1, m2] = [master(1), master(2)];
  expect(r1?.code).toBe(0);
  expect(r2?.code).toBe(0);
  const [a, b] = [lockWindow(r1?.log ?? ""), lockWindow(r2?.log ?? "")];
  for (const t of [...a, ...b]) expect(Number.isNaN(t)).toBe(false);
  // One window ends before the other begins (the log has second resolution: equal is allowed).
  expect(a[1] <= b[0] || b[1] <= a[0]).toBe(true);
  expect(sim.memberProblems()).toEqual([]);
  for (const m of [m1, m2])
    expect(m.readMounted("/var/lib/etcd-volume/k8sha-identity")).toMatch(
      new RegExp(`^cluster=dev\nmember_id=[0-9a-f]+\npeer_url=https://${m.o.ownAddress}:2380\n`),
    );
  // The stable addresses are the graph's: the second /28 of each private subnet, +4 + index.
  expect([master(0), m1, m2].map((m) => m.o.ownAddress.split(".").slice(2).join("."))).toEqual([
    "0.20",
    "16.21",
    "32.22",
  ]);
});

test("each master holds its stable address on its interface, kept by netplan, and in its peer certificate", () => {
  const sim = current();
  for (const m of sim.masters) {
    const addresses = execFileSync("ip", ["-o", "-4", "addr", "show", "dev", m.link], { encoding: "utf8" });
    expect(addresses).toContain(` ${m.o.ownAddress}/32 `);
    expect(parse(m.read("etc/netplan/60-k8sha-stable-address.yaml"))).toEqual({
      network: { version: 2, ethernets: { [m.link]: { addresses: [`${m.o.ownAddress}/32`] } } },
    });
    const sans = execFileSync(
      "openssl",
      ["x509", "-noout", "-ext", "subjectAltName", "-in", join(m.root, "etc/kubernetes/pki/etcd/peer.crt")],
      { encoding: "utf8" },
    );
    // The stable address (advertised) and the primary one (the source of its peer connections).
    expect(sans).toContain(`IP Address:${m.o.ownAddress}`);
    expect(sans).toContain(`IP Address:${m.o.ip}`);
  }
});

test("the worker waits for the API load balancer and joins", async () => {
  const sim = current();
  const [, , , r] = sim.freshBoots;
  expect(r?.code).toBe(0);
  expect(sim.workerNode.read("etc/kubernetes/kubelet.conf")).not.toBe("");
});

/** The API's Node records (the kube stubs' state): a Node can be made NotReady like a kubelet that stopped posting. */
const nodesFile = () => join(current().cluster.dir, "api", "nodes.json");
const setReady = (name: string, ready: boolean) => {
  const list = JSON.parse(readFileSync(nodesFile(), "utf8")) as { name: string; ready?: boolean }[];
  for (const n of list) if (n.name === name) n.ready = ready;
  writeFileSync(nodesFile(), JSON.stringify(list));
};
const workerNodeName = () =>
  (JSON.parse(readFileSync(nodesFile(), "utf8")) as { name: string; controlPlane?: boolean }[]).find(
    (n) => !n.controlPlane,
  )?.name ?? "";

test("validate, before any backup: only the backup check is red", async () => {
  const sim = current();
  enlistWorker(sim);
  const r = await validateFromOperator(sim);
  expect([r.code, r.failed]).toEqual([1, ["backup"]]);
  expect(r.checks.get("backup")?.detail).toMatch(/^no snapshot under s3:\/\//);
  expect(r.output).toContain("\nresult: fail\n");
}, 300_000);

test("validate on a healthy cluster: every check green, from the operator's machine and on a master", async () => {
  const sim = current();
  await backupNow(sim);
  const r = await validateFromOperator(sim);
  expect([r.code, r.failed, r.output.includes("\nresult: pass\n")]).toEqual([0, [], true]);
  const names = [...r.checks.keys()];
  // Each master, each instance's boot, the API, etcd, the pool, the load balancer, backups, alarms.
  for (const check of ["api-readyz", "etcd-members", "etcd-health", "etcd-leader", "control-plane-nodes"])
    expect(names).toContain(check);
  expect(r.checks.get("etcd-members")?.detail).toBe("3");
  expect(r.checks.get("targets")?.detail).toBe("3/3 healthy");
  expect(r.checks.get("pool/general")?.detail).toBe("1 of 1 Nodes Ready (minimum 1)");
  expect(r.checks.get("alarms")?.detail).toBe("none in ALARM");
  expect(names.filter((n) => n.startsWith("boot/")).sort()).toEqual(
    [...sim.masters, sim.workerNode].map((m) => `boot/${m.instanceId}`).sort(),
  );
  expect(names.filter((n) => n.startsWith("node/"))).toHaveLength(3);
  expect(names.filter((n) => n.startsWith("asg/"))).toHaveLength(3);
  const onMaster = await validateOnMaster(sim, 1);
  expect([onMaster.code, onMaster.failed]).toEqual([0, []]);
  expect([...onMaster.checks.keys()].sort()).toEqual(names.sort());
}, 300_000);

test("validate with a NotReady worker, a failed boot tag and an alarm: exactly their three red lines", async () => {
  const sim = current();
  const worker = workerNodeName();
  const tags = sim.cluster.aws.instances.get(sim.workerNode.instanceId)?.tags ?? {};
  const alarm = "k8sha/dev/etcd-no-leader-1";
  setReady(worker, false);
  tags["k8sha.io/boot-status"] = "failed:kubeadm-join";
  sim.cluster.aws.cloudWatch.alarms.set(alarm, "ALARM");
  // Another alarm of this cluster that is OK, and alarms of clusters whose names start the same way.
  sim.cluster.aws.cloudWatch.alarms.set("k8sha/dev/api-healthy-0", "OK");
  sim.cluster.aws.cloudWatch.alarms.set("k8sha/dev-blue/api-healthy-0", "ALARM");
  sim.cluster.aws.cloudWatch.alarms.set("k8sha/prod/api-healthy-0", "ALARM");
  try {
    const r = await validateFromOperator(sim);
    expect([r.code, r.failed]).toEqual([
      1,
      ["alarms", `boot/${sim.workerNode.instanceId}`, "pool/general"].sort(),
    ]);
    expect(r.checks.get("pool/general")?.detail).toBe("0 of 1 Nodes Ready, minimum 1");
    expect(r.checks.get(`boot/${sim.workerNode.instanceId}`)?.detail).toMatch(/^failed:kubeadm-join/);
    expect(r.checks.get("alarms")?.detail).toBe(`in ALARM: ${alarm} (docs/monitoring.md)`);
  } finally {
    setReady(worker, true);
    tags["k8sha.io/boot-status"] = "succeeded";
    sim.cluster.aws.cloudWatch.alarms.clear();
  }
}, 300_000);

test("validate with a hung etcd member: the etcd health and leader checks name it", async () => {
  const sim = current();
  const hung = master(2);
  hung.freezeEtcd();
  try {
    const r = await validateFromOperator(sim);
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(expect.arrayContaining(["etcd-health", "etcd-leader"]));
    expect(r.failed.filter((f) => !f.startsWith("etcd-") && !f.startsWith("static-pods/"))).toEqual([]);
    expect(r.checks.get("etcd-health")?.detail).toContain(hung.o.ownAddress);
  } finally {
    hung.freezeEtcd(true);
  }
}, 300_000);

/** The data each master's health run published, by zone: metric name -> value. */
async function healthByZone(): Promise<Map<string, Map<string, number>>> {
  const sim = current();
  const seen = sim.cluster.aws.cloudWatch.published.length;
  const runs = await healthReportNow(sim);
  expect(runs.map((r) => [r.code, r.code === 0 ? "" : r.stderr.slice(-2000)])).toEqual(
    runs.map(() => [0, ""]),
  );
  // What each run logged (what it could not read, in its own words), kept with the nodes' logs.
  for (const [i, r] of runs.entries())
    appendFileSync(join(sim.cluster.dir, `health-${i}.log`), `${r.stderr}\n== exit ${r.code}\n`);
  const byZone = new Map<string, Map<string, number>>();
  for (const batch of sim.cluster.aws.cloudWatch.published.slice(seen)) {
    expect(batch.namespace).toBe(METRICS_NAMESPACE);
    for (const d of batch.metrics) {
      expect(Object.keys(d.dimensions).sort()).toEqual(["AvailabilityZone", "ClusterName"]);
      const zone = d.dimensions.AvailabilityZone ?? "";
      byZone.set(zone, (byZone.get(zone) ?? new Map()).set(d.name, d.value));
    }
  }
  return byZone;
}

test("the health timer: every master publishes its etcd and control-plane health under its zone", async () => {
  const sim = current();
  // After the hung member of the tests before: every member answers again first.
  const deadline = Date.now() + 60_000;
  while (sim.memberProblems().length > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 500));
  expect(sim.memberProblems()).toEqual([]);
  const byZone = await healthByZone();
  expect([...byZone.keys()].sort()).toEqual([0, 1, 2].map((i) => sim.zone(i)));
  for (const [zone, data] of byZone) {
    const ratio = data.get(HEALTH_METRICS.etcdDbSizeRatio) ?? -1;
    expect({
      zone,
      hasLeader: data.get(HEALTH_METRICS.etcdHasLeader),
      healthyMembers: data.get(HEALTH_METRICS.etcdHealthyMembers),
      apiServerReady: data.get(HEALTH_METRICS.apiServerReady),
      // The sandbox runs no controller-manager or scheduler: a component that does not answer is 0.
      controllerManager: data.get(HEALTH_METRICS.controllerManagerHealthy),
      scheduler: data.get(HEALTH_METRICS.schedulerHealthy),
      dbRatioSmall: ratio > 0 && ratio < 0.05,
      // The kubeadm stub issues 2-day certificates (kubeconfigs' embedded ones too): 1 whole day left.
      certificateDaysLeft: data.get(HEALTH_METRICS.certificateDaysLeft),
    }).toEqual({
      zone,
      hasLeader: 1,
      healthyMembers: 3,
      apiServerReady: 1,
      controllerManager: 0,
      scheduler: 0,
      dbRatioSmall: true,
      certificateDaysLeft: 1,
    });
  }
}, 300_000);

test("the health timer with a hung member: the others count 2 healthy, the hung one reports no leader", async () => {
  const sim = current();
  master(2).freezeEtcd();
  try {
    const byZone = await healthByZone();
    expect(byZone.get(sim.zone(0))?.get(HEALTH_METRICS.etcdHealthyMembers)).toBe(2);
    expect(byZone.get(sim.zone(1))?.get(HEALTH_METRICS.etcdHealthyMembers)).toBe(2);
    expect(byZone.get(sim.zone(2))?.get(HEALTH_METRICS.etcdHasLeader)).toBe(0);
  } finally {
    master(2).freezeEtcd(true);
  }
}, 300_000);

test("two of three masters lost at the same moment: both come back, without quorum to start with", async () => {
  const sim = current();
  const boots = await sim.replace([0, 2]);
  for (const b of boots) {
    expect(b.code).toBe(0);
    expect(b.log).toContain("boot mode: rejoin");
    expect(b.log).not.toContain("updating etcd member");
  }
  sim.putKeys();
}, 420_000);
