/**
 * k8sha-control-plane (scripts/k8sha-control-plane.sh, cloud-init/lib/control-plane-*.sh) run for
 * real against REAL etcd 3.4 members on loopback and the node sandbox's OWN stubs of kubectl,
 * kubeadm, kubelet, apt-get, apt-mark and systemctl (test/support/sandbox/fakes; kube.js runs as is).
 * Three masters, each a folder laid out as a node sandbox (root/, pods/, kubernetes-version)
 * around one shared CLUSTER_DIR (the API as files). Each run enters a private mount namespace as
 * the sandbox does: the node's /etc/kubernetes, /etc/k8sha, /etc/apt and /var/lib/kubelet are its
 * own, /usr/bin is an overlay holding what its apt-get installed, the host's /usr stays reachable
 * for the stubs (and the real kubectl that prints their objects). Stand-ins, as in the sandbox:
 * a master's etcd pod is its test member (pods/etcd.pid), its kube-apiserver pod a sleeping
 * process; its API's /readyz and pkgs.k8s.io are HTTPS servers on loopback (curl's connect-to).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { masterConfigFiles } from "../../cloud-init/config-files";
import { kubeadmClusterConfiguration } from "../../cloud-init/kubeadm-config";
import { ETCD_BIN, ETCDCTL_BIN, EtcdTestCluster, run } from "../support/etcdCluster";
import { FAST_RETRY, NODE_FACTS, runLib } from "../support/fakes/bashLib";
import { createCa, issueCert } from "../support/pki";
import { masterConfig } from "../support/render-fixtures";
import { close, type Listening, startApi, startInternet } from "../support/sandbox/loopback";

const REPO = resolve(__dirname, "../..");
const FAKES = join(REPO, "test/support/sandbox/fakes");
const PORTS = { clientPort: 25379, peerPort: 25380 };
const MASTERS = [1, 2, 3].map((i) => ({ name: `m${i}`, ip: `127.0.73.${i}` }));
type Master = (typeof MASTERS)[number];
const PATCHES = "/etc/k8sha/kubeadm/patches";
const work = mkdtempSync(join(tmpdir(), "k8sha-cpo-"));
const clusterDir = join(work, "cluster");
const sleepers: ChildProcess[] = [];
const servers: Listening[] = [];
let cluster: EtcdTestCluster;
let curlrc = "";

const dirOf = (m: Master) => join(work, m.name);
const read = (path: string) => readFileSync(path, "utf8");
const nodesFile = join(clusterDir, "api/nodes.json");
type ApiNode = { name: string; ready: boolean; unschedulable?: boolean };
const apiNodes = () => JSON.parse(read(nodesFile)) as ApiNode[];
const editNode = (name: string, change: Partial<ApiNode>) =>
  writeFileSync(
    nodesFile,
    JSON.stringify(apiNodes().map((n) => (n.name === name ? { ...n, ...change } : n))),
  );

/** Inside the node's mount namespace: its own dirs bound over the real paths, then `argv`. */
const ENTER = `set -euo pipefail
d="$1"; shift
mount --rbind /usr "$d/host-usr"
mount -t overlay overlay -o "lowerdir=/usr/bin,upperdir=$d/usr-upper,workdir=$d/usr-work" /usr/bin
# A mount point must exist: a fresh host has no /etc/kubernetes until something makes it.
for p in etc/kubernetes etc/k8sha etc/apt var/lib/kubelet; do mkdir -p "/$p"; mount --bind "$d/root/$p" "/$p"; done
exec "$@"`;

function onNode(m: Master, argv: string[], env: Record<string, string> = {}) {
  const d = dirOf(m);
  return run("unshare", ["-m", "--propagation", "private", "bash", "-c", ENTER, "bash", d, ...argv], {
    ...NODE_FACTS,
    ...cluster.tlsEnv(),
    ...FAST_RETRY,
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: join(d, "home"),
    ETCD_CLIENT_PORT: String(PORTS.clientPort),
    STABLE_IP: m.ip,
    KUBEADM_JOIN_TEMPLATE: "/etc/k8sha/templates/kubeadm-join.yaml",
    K8SHA_NODE_ENV: "/nonexistent",
    K8SHA_STATE_DIR: join(d, "state"),
    K8SHA_ETCD_TOOLS_DIR: join(d, "etcd-tools"),
    K8SHA_ETCDCTL: ETCDCTL_BIN,
    ETCD_DIAL_TIMEOUT: "1s",
    ETCD_COMMAND_TIMEOUT: "3s",
    K8SHA_UPGRADE_WAIT_SECONDS: "30",
    ...env,
  });
}
const cli = (m: Master, ...args: string[]) =>
  onNode(m, ["bash", join(REPO, "scripts/k8sha-control-plane.sh"), ...args]);
const lines = (out: string) => out.trim().split("\n");
const logOf = (m: Master, tool: string) => {
  try {
    return read(join(dirOf(m), `${tool}.log`));
  } catch {
    return "";
  }
};

/** One master's sandbox folder at Kubernetes 1.34.2, its manifests written by the stub itself. */
async function makeNode(m: Master, index: number, etcdPid: number): Promise<void> {
  const d = dirOf(m);
  for (const p of ["etc/kubernetes/manifests", "etc/apt/sources.list.d", "var/lib/kubelet"])
    mkdirSync(join(d, "root", p), { recursive: true });
  for (const p of ["fakes", "pods", "usr-upper", "usr-work", "host-usr", "home", "state", "etcd-tools"])
    mkdirSync(join(d, p), { recursive: true });
  for (const f of masterConfigFiles(masterConfig(index, false)).filter((x) =>
    x.path.startsWith("/etc/k8sha/"),
  )) {
    mkdirSync(join(d, "root", f.path, ".."), { recursive: true });
    writeFileSync(join(d, "root", f.path), f.content);
  }
  const env = { SANDBOX: d, PROJECT_DIR: REPO, CLUSTER_DIR: clusterDir, HOST_USR: join(d, "host-usr") };
  const fakeEnv = { ...env, NODE_BIN: process.execPath, FAKES_DIR: join(d, "fakes"), NODE_IP: m.ip };
  writeFileSync(
    join(d, "fakes/fake.env"),
    `${Object.entries(fakeEnv)
      .map(([k, v]) => `${k}='${v}'`)
      .join("\n")}\n`,
  );
  for (const f of readdirSync(FAKES)) {
    const body = read(join(FAKES, f)).replaceAll("@FAKE_ENV@", join(d, "fakes/fake.env"));
    writeFileSync(join(d, "fakes", f), body, { mode: 0o755 });
  }
  // What the boot installed: the three packages (stubs) besides the AMI's stubbed commands.
  const installed = { kubectl: "kube-kubectl", kubeadm: "kube-kubeadm", kubelet: "kube-kubelet" };
  for (const [cmd, fake] of Object.entries({
    ...installed,
    "apt-get": "apt-get",
    "apt-mark": "apt-mark",
    systemctl: "systemctl",
  }))
    writeFileSync(join(d, "usr-upper", cmd), read(join(d, "fakes", fake)), { mode: 0o755 });
  writeFileSync(join(d, "kubernetes-version"), "1.34.2\n");
  writeFileSync(join(d, "kubelet-version"), "1.34.2\n");
  for (const f of ["units", "units-active"])
    writeFileSync(join(d, f), "containerd.service\nkubelet.service\n");
  writeFileSync(join(d, "pods/etcd.pid"), String(etcdPid));
  const apiPod = spawn("sleep", ["3600"], { stdio: "ignore" });
  sleepers.push(apiPod);
  writeFileSync(join(d, "pods/kube-apiserver.pid"), String(apiPod.pid));
  writeFileSync(join(d, "etcd-tools/image"), "registry.k8s.io/etcd:3.6.5-0\n");
  symlinkSync(ETCDCTL_BIN, join(d, "etcd-tools/etcdctl"));
  writeFileSync(join(d, "home/.curlrc"), curlrc.replaceAll("@IP@", m.ip));
  const cfg = {
    ClusterConfiguration: kubeadmClusterConfiguration(masterConfig(0, false)),
    InitConfiguration: {
      localAPIEndpoint: { advertiseAddress: m.ip },
      nodeRegistration: { name: m.name },
      patches: { directory: PATCHES },
    },
  };
  const gen = `const n = require(${JSON.stringify(join(d, "fakes/kube-node.js"))}); const c = JSON.parse(process.env.CFG); n.etcdManifest(c); n.apiServerManifest(c);`;
  const made = await onNode(m, [process.execPath, "-e", gen], { CFG: JSON.stringify(cfg) });
  if (made.code !== 0) throw new Error(`manifests of ${m.name}: ${made.stderr}`);
}

// Each test drives real etcd members and several CLI runs (the upgrade one: two kubeadm upgrades
// and kubelet restarts); on a 2-core machine busy with the simulation that takes minutes.
jest.setTimeout(240_000);

beforeAll(async () => {
  mkdirSync("/etc/k8sha", { recursive: true }); // a mount point, as the sandbox makes its own
  cluster = await EtcdTestCluster.create(PORTS);
  const initialCluster = cluster.initialCluster(MASTERS);
  const pids = MASTERS.map((m) => cluster.start(m, { initialCluster, initialClusterState: "new" }).pid ?? 0);
  await cluster.waitHealthy(
    MASTERS.map((m) => cluster.clientUrl(m.ip)),
    20000,
  );
  const ca = createCa(join(work, "pki"));
  const tls = issueCert(ca, "servers", ["127.0.0.1"], ["pkgs.k8s.io"]);
  const key = execFileSync("gpg", ["--batch", "--enarmor"], {
    input: Buffer.from("k8sha test key"),
  }).toString();
  const repo = (minor: string) => `pkgs.k8s.io/core:/stable:/v${minor}/deb/Release.key`;
  const internet = await startInternet(tls, { [repo("1.34")]: key, [repo("1.35")]: key });
  const api = await startApi(tls, join(work, "api-ready"));
  servers.push(internet, api);
  writeFileSync(join(work, "api-ready"), "");
  curlrc = `connect-to = "pkgs.k8s.io:443:127.0.0.1:${internet.port}"\nconnect-to = "@IP@:6443:127.0.0.1:${api.port}"\ncacert = "${ca.cert}"\n`;
  mkdirSync(join(clusterDir, "api"), { recursive: true });
  writeFileSync(join(clusterDir, "api-up"), "m1");
  const cc = kubeadmClusterConfiguration(masterConfig(0, false));
  writeFileSync(
    join(clusterDir, "api/cluster.json"),
    JSON.stringify({ clusterConfiguration: cc, etcdLocal: cc.etcd?.local }),
  );
  const nodes = MASTERS.map((m) => ({
    ...m,
    ready: true,
    controlPlane: true,
    labels: {},
    sandbox: dirOf(m),
  }));
  writeFileSync(nodesFile, JSON.stringify(nodes));
  for (const [i, m] of MASTERS.entries()) await makeNode(m, i, pids[i] ?? 0);
}, 120_000);

afterAll(async () => {
  for (const s of sleepers) s.kill("SIGKILL");
  await Promise.all(servers.map(close));
  await cluster?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const [M1, M2, M3] = MASTERS as [Master, Master, Master];

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
  const url = cluster.clientUrl(M1.ip);
  const add = ["member", "add", "m4", `--peer-urls=${cluster.peerUrl("127.0.73.4")}`, "--learner"];
  let added = await cluster.etcdctl(add, [url]);
  // etcd refuses a member add until the serving member has seen every voter for 5 s.
  for (let i = 0; i < 20 && added.code !== 0; i++) {
    await new Promise((r) => setTimeout(r, 500));
    added = await cluster.etcdctl(add, [url]);
  }
  const id = /Member +([0-9a-f]+) added/.exec(added.stdout)?.[1] ?? "";
  expect(id).not.toBe("");
  const r = await cli(M1, "preflight", "--masters", "3");
  await cluster.etcdctlOk(["member", "remove", id], [url]);
  expect(r.stdout).toContain("FAIL etcd-members: 4 members, expected 3");
  expect(r.stdout).toContain(`FAIL etcd-started: not started: ${id} (https://127.0.73.4:25380)`);
  expect(r.stdout).toContain(`FAIL etcd-voting: learners: ${id} (https://127.0.73.4:25380)`);
  expect(r.code).toBe(1);
});

test("preflight fails while a member is stopped: health, leader status and its etcd pod", async () => {
  await cluster.stop("m3");
  const r = await cli(M1, "preflight", "--masters", "3");
  const child = cluster.start(M3, {
    initialCluster: cluster.initialCluster(MASTERS),
    initialClusterState: "existing",
  });
  writeFileSync(join(dirOf(M3), "pods/etcd.pid"), String(child.pid));
  expect(r.stdout).toContain("FAIL etcd-health: https://127.0.73.3:25379 unhealthy");
  expect(r.stdout).toMatch(/^FAIL etcd-leader: not every member answered endpoint status/m);
  expect(r.stdout).toContain("FAIL static-pods/m3: not Ready: etcd(False)");
  expect(r.stdout).toContain("ok static-pods/m2:");
  expect([r.code, lines(r.stdout).at(-1)]).toEqual([1, "result: fail"]);
  await cluster.waitHealthy(
    MASTERS.map((m) => cluster.clientUrl(m.ip)),
    20000,
  );
  expect((await cli(M1, "preflight", "--masters", "3")).code).toBe(0);
});

test("versions: every control-plane Node's kubelet, the cluster's version, every member's etcd", async () => {
  const etcd = /Version: (\S+)/.exec(execFileSync("/usr/bin/etcd", ["--version"]).toString())?.[1];
  const r = await cli(M2, "versions");
  const out = lines(r.stdout);
  expect(out.slice(0, 4)).toEqual([
    ...MASTERS.map((m) => `node ${m.name} ${m.ip} v1.34.2`),
    "cluster v1.34.2",
  ]);
  expect(out.slice(4, 7).sort()).toEqual(MASTERS.map((m) => `etcd ${m.name} ${etcd}`)); // member list order
  expect(out.slice(7)).toEqual(["result: pass"]);
  expect(r.code).toBe(0);
});

/** The IP of the member that says it leads. */
async function leaderIp(): Promise<string> {
  for (const m of MASTERS) {
    const out = await cluster.etcdctl(["endpoint", "status", "-w", "simple"], [cluster.clientUrl(m.ip)]);
    if (out.stdout.split(", ")[4] === "true") return m.ip;
  }
  throw new Error("no leader");
}

test("move-leader moves leadership off the given address, and is a no-op when it leads elsewhere", async () => {
  const from = await leaderIp();
  const helper = MASTERS.find((m) => m.ip !== from) ?? M1;
  const moved = await cli(helper, "move-leader", "--from", from);
  expect(moved.stdout).toMatch(/^ok move-leader: leadership moved from m\d to m\d$/m);
  expect(moved.code).toBe(0);
  const now = await leaderIp();
  expect(now).not.toBe(from);
  const other = MASTERS.find((m) => m.ip !== now)?.ip ?? "";
  const nothing = await cli(helper, "move-leader", "--from", other);
  expect(nothing.stdout).toMatch(
    new RegExp(`^ok move-leader: the leader is m\\d .*not at ${other}: nothing to move$`, "m"),
  );
  expect(nothing.code).toBe(0);
  expect(await leaderIp()).toBe(now);
});

test("drain cordons and drains the Node at the address, uncordon undoes it; no Node there is ok", async () => {
  const drained = await cli(M1, "drain", "--address", M2.ip, "--timeout", "120");
  expect(lines(drained.stdout)).toEqual([
    "ok cordon: m2 (127.0.73.2)",
    "ok drain: m2 drained",
    "result: pass",
  ]);
  expect(logOf(M1, "kubectl")).toMatch(/ cordon m2\n/);
  expect(logOf(M1, "kubectl")).toMatch(
    / drain m2 --ignore-daemonsets --delete-emptydir-data --timeout=1[0-2]\ds\n/,
  );
  expect(apiNodes().find((n) => n.name === "m2")?.unschedulable).toBe(true);
  const back = await cli(M1, "uncordon", "--address", M2.ip);
  expect(lines(back.stdout)).toEqual(["ok uncordon: m2 (127.0.73.2)", "result: pass"]);
  expect(apiNodes().find((n) => n.name === "m2")?.unschedulable).toBe(false);
  for (const verb of ["drain", "uncordon"]) {
    const gone = await cli(M1, verb, "--address", "127.0.73.99");
    expect(lines(gone.stdout)).toEqual([`ok ${verb}: no Node at 127.0.73.99 (already gone)`, "result: pass"]);
  }
});

test("upgrade refuses a jump of two minors and a downgrade, naming both versions, before touching the node", async () => {
  const jump = await cli(M1, "upgrade", "--version", "1.36.0");
  expect(jump.stdout).toMatch(/^FAIL version: .*v1\.34\.2 -> v1\.36\.0.*one minor version at a time$/m);
  expect(jump.code).toBe(1);
  const down = await cli(M1, "upgrade", "--version", "1.33.0");
  expect(down.stdout).toContain(
    "FAIL version: refusing a downgrade: the cluster runs v1.34.2, v1.33.0 was asked for",
  );
  expect([down.code, lines(down.stdout).at(-1)]).toEqual([1, "result: fail"]);
  expect([logOf(M1, "apt"), logOf(M1, "kubeadm")]).toEqual(["", ""]);
});

test("the etcd 3.5 -> 3.6 rule: every 3.5 member at the minimum patch first", async () => {
  const refusals = (...args: string[]) =>
    runLib(["control-plane-upgrade.sh"], 'cpo_etcd_step_refusals "$@"', args);
  const old = await refusals("3.6.5-0", "m1=3.5.26", "m2=3.5.25", "m3=3.6.5", "m4=3.4.23");
  expect([old.code, old.stdout]).toEqual([
    1,
    "member m2 runs etcd 3.5.25; etcd 3.6.5 needs every member at 3.5.26 or later first\n" +
      "member m4 runs etcd 3.4.23; etcd 3.6.5 needs every member at 3.5.26 or later first\n",
  ]);
  expect((await refusals("3.6.5-0", "m1=3.5.26", "m2=3.6.5")).code).toBe(0);
  // No rule below a 3.6 target (a 3.5 patch upgrade).
  expect((await refusals("3.5.26-0", "m1=3.5.24")).code).toBe(0);
  expect((await refusals("3.5.24-0", "m1=3.5.1")).code).toBe(0);
});

test("upgrade: apply on the first master, node on the second (both with the patches), then a no-op", async () => {
  const first = await cli(M1, "upgrade", "--version", "1.35.0");
  expect(first.stdout).toContain(
    "ok version: m1: kubelet v1.34.2, cluster v1.34.2 -> v1.35.0 (kubeadm upgrade apply)",
  );
  // kubeadm 1.35 pins the etcd image 1.34 runs: no etcd step, so no etcd version rule applies.
  expect(first.stdout).toContain(
    "ok etcd-versions: registry.k8s.io/etcd:3.6.5-0 stays: kubeadm v1.35.0 pins the image etcd runs",
  );
  expect(first.stdout).toContain(
    `ok kubeadm-upgrade: kubeadm upgrade apply v1.35.0 --yes --certificate-renewal=true --patches ${PATCHES}`,
  );
  expect(lines(first.stdout).slice(-2)).toEqual([
    "ok kubelet: m1 runs kubelet v1.35.0; its API is ready",
    "result: pass",
  ]);
  expect(first.code).toBe(0);
  expect(logOf(M1, "apt")).toMatch(
    /install .*kubeadm=1\.35\.0-\*\n.*install .*kubelet=1\.35\.0-\* kubectl=1\.35\.0-\*\n/,
  );
  expect(read(join(dirOf(M1), "root/etc/apt/sources.list.d/kubernetes.list"))).toContain(
    "/core:/stable:/v1.35/deb/",
  );
  expect(JSON.parse(read(join(clusterDir, "api/cluster.json"))).clusterConfiguration.kubernetesVersion).toBe(
    "v1.35.0",
  );
  // The patched etcd manifest was kept (same etcd image): the data volume must exist (Directory).
  expect(read(join(dirOf(M1), "root/etc/kubernetes/manifests/etcd.yaml"))).toMatch(
    /path: \/var\/lib\/etcd-volume\/data\n\s+type: Directory\n/,
  );

  const second = await cli(M2, "upgrade", "--version", "1.35.0");
  expect(second.stdout).toContain(
    `ok kubeadm-upgrade: kubeadm upgrade node --certificate-renewal=true --patches ${PATCHES}`,
  );
  expect(second.code).toBe(0);
  expect(logOf(M2, "kubeadm")).toMatch(
    new RegExp(`^kubeadm upgrade node --certificate-renewal=true --patches ${PATCHES}$`, "m"),
  );
  expect(logOf(M2, "kubeadm")).not.toContain("upgrade apply");
  const versions = await cli(M3, "versions");
  expect(lines(versions.stdout).slice(0, 4)).toEqual([
    "node m1 127.0.73.1 v1.35.0",
    "node m2 127.0.73.2 v1.35.0",
    "node m3 127.0.73.3 v1.34.2",
    "cluster v1.35.0",
  ]);

  const before = [logOf(M1, "kubeadm"), logOf(M1, "apt")];
  const again = await cli(M1, "upgrade", "--version", "1.35.0");
  expect(lines(again.stdout)).toEqual([
    "ok upgrade: m1 already runs v1.35.0, as the cluster does: nothing to do",
    "result: pass",
  ]);
  expect([logOf(M1, "kubeadm"), logOf(M1, "apt")]).toEqual(before);
});

test("the kubeadm stub refuses what kubeadm refuses, and rolls an unpatched manifest back without a kubelet", async () => {
  const kubeadm = (...args: string[]) => onNode(M3, ["kubeadm", ...args]);
  expect((await kubeadm("upgrade", "apply", "v1.37.0", "--yes")).stderr).toContain(
    '"v1.37.0" is too high; kubeadm can upgrade only 1 minor version',
  );
  expect((await kubeadm("upgrade", "apply", "v1.35.0", "--yes")).stderr).toContain(
    "at least one minor release higher than the kubeadm minor release (35 > 34)",
  );
  const manifest = join(dirOf(M3), "root/etc/kubernetes/manifests/etcd.yaml");
  const patched = read(manifest);
  writeFileSync(join(dirOf(M3), "units-active"), "containerd.service\n");
  const unpatched = await kubeadm("upgrade", "node");
  expect(unpatched.code).not.toBe(0);
  expect(unpatched.stderr).toContain("static Pod hash for component etcd did not change");
  writeFileSync(join(dirOf(M3), "units-active"), "containerd.service\nkubelet.service\n");
  expect(read(manifest)).toBe(patched);
});

test("preflight fails on an etcd alarm: a member with a tiny backend quota, filled", async () => {
  const url = cluster.clientUrl(M3.ip);
  const size = Number(
    /"DBSize" : (\d+)/.exec(await cluster.etcdctlOk(["endpoint", "status", "-w", "fields"], [url]))?.[1],
  );
  await cluster.stop("m3");
  // The harness passes no extra flag: m3 again as it starts it, with the quota added.
  const tls = issueCert(cluster.ca, `member-${M3.ip}`, [M3.ip, "127.0.0.1"]);
  const [peer, client] = [cluster.peerUrl(M3.ip), url];
  const quota = spawn(ETCD_BIN, [
    ...[
      "--name",
      "m3",
      "--data-dir",
      cluster.defaultDataDir("m3"),
      "--quota-backend-bytes",
      String(size + 65536),
    ],
    ...["--listen-client-urls", client, "--advertise-client-urls", client, "--listen-peer-urls", peer],
    ...["--initial-advertise-peer-urls", peer, "--initial-cluster", cluster.initialCluster(MASTERS)],
    ...[
      "--cert-file",
      tls.cert,
      "--key-file",
      tls.key,
      "--trusted-ca-file",
      cluster.ca.cert,
      "--client-cert-auth",
    ],
    ...["--peer-cert-file", tls.cert, "--peer-key-file", tls.key, "--peer-trusted-ca-file", cluster.ca.cert],
    ...["--peer-client-cert-auth", "--log-outputs", join(cluster.dir, "m3-quota.log"), "--logger", "zap"],
  ]);
  sleepers.push(quota);
  writeFileSync(join(dirOf(M3), "pods/etcd.pid"), String(quota.pid));
  await cluster.waitHealthy([url], 20000);
  let full = "";
  for (let i = 0; i < 40 && !full; i++) {
    const put = await cluster.etcdctl(["put", `fill/${i}`, "x".repeat(16384)], [url]);
    if (put.stderr.includes("database space exceeded")) full = put.stderr;
  }
  expect(full).not.toBe("");
  const r = await cli(M1, "preflight", "--masters", "3");
  expect(r.stdout).toMatch(/^FAIL etcd-alarms: memberID:\d+ alarm:NOSPACE/m);
  expect([r.code, lines(r.stdout).at(-1)]).toEqual([1, "result: fail"]);
});
