/**
 * The three-master bench of the k8sha-control-plane tests (test/cloud-init/control-plane-ops*):
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
 *
 * `controlPlaneSandbox(ports)` registers the file's beforeAll/afterAll; every test file passes
 * its own etcd ports (the masters' addresses are the same in each, 127.0.73.1-3).
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
import { type CommandResult, ETCDCTL_BIN, EtcdTestCluster, run } from "./etcdCluster";
import { FAST_RETRY, NODE_FACTS } from "./fakes/bashLib";
import { createCa, issueCert } from "./pki";
import { masterConfig } from "./render-fixtures";
import { close, type Listening, startApi, startInternet } from "./sandbox/loopback";

const REPO = resolve(__dirname, "../..");
const FAKES = join(REPO, "test/support/sandbox/fakes");
export const MASTERS = [1, 2, 3].map((i) => ({ name: `m${i}`, ip: `127.0.73.${i}` }));
export type Master = (typeof MASTERS)[number];
export const [M1, M2, M3] = MASTERS as [Master, Master, Master];
export const PATCHES = "/etc/k8sha/kubeadm/patches";

export const read = (path: string) => readFileSync(path, "utf8");
export const lines = (out: string) => out.trim().split("\n");
type ApiNode = { name: string; ready: boolean; unschedulable?: boolean };

/** Inside the node's mount namespace: its own dirs bound over the real paths, then `argv`. */
const ENTER = `set -euo pipefail
d="$1"; shift
mount --rbind /usr "$d/host-usr"
mount -t overlay overlay -o "lowerdir=/usr/bin,upperdir=$d/usr-upper,workdir=$d/usr-work" /usr/bin
# A mount point must exist: a fresh host has no /etc/kubernetes until something makes it.
for p in etc/kubernetes etc/k8sha etc/apt var/lib/kubelet; do mkdir -p "/$p"; mount --bind "$d/root/$p" "/$p"; done
exec "$@"`;

export interface ControlPlaneSandbox {
  /** The masters' etcd members (set once beforeAll ran). */
  readonly cluster: EtcdTestCluster;
  /** The shared CLUSTER_DIR: the API as files. */
  readonly clusterDir: string;
  dirOf(m: Master): string;
  onNode(m: Master, argv: string[], env?: Record<string, string>): Promise<CommandResult>;
  /** `k8sha-control-plane ARGS` on master `m`. */
  cli(m: Master, ...args: string[]): Promise<CommandResult>;
  /** What a stub logged on master `m` (`apt`, `kubeadm`, `kubectl`), "" when nothing. */
  logOf(m: Master, tool: string): string;
  apiNodes(): ApiNode[];
  editNode(name: string, change: Partial<ApiNode>): void;
  /** A process a test started, killed in afterAll. */
  keep(child: ChildProcess): void;
}

/** The bench for one test file: its etcd members on `ports`, its own work folder. */
export function controlPlaneSandbox(ports: { clientPort: number; peerPort: number }): ControlPlaneSandbox {
  const work = mkdtempSync(join(tmpdir(), "k8sha-cpo-"));
  const clusterDir = join(work, "cluster");
  const sleepers: ChildProcess[] = [];
  const servers: Listening[] = [];
  let cluster: EtcdTestCluster | undefined;
  let curlrc = "";

  const etcd = () => {
    if (!cluster) throw new Error("the control-plane sandbox is not set up (beforeAll)");
    return cluster;
  };
  const dirOf = (m: Master) => join(work, m.name);
  const nodesFile = join(clusterDir, "api/nodes.json");
  const apiNodes = () => JSON.parse(read(nodesFile)) as ApiNode[];
  const editNode = (name: string, change: Partial<ApiNode>) =>
    writeFileSync(
      nodesFile,
      JSON.stringify(apiNodes().map((n) => (n.name === name ? { ...n, ...change } : n))),
    );

  function onNode(m: Master, argv: string[], env: Record<string, string> = {}) {
    const d = dirOf(m);
    return run("unshare", ["-m", "--propagation", "private", "bash", "-c", ENTER, "bash", d, ...argv], {
      ...NODE_FACTS,
      ...etcd().tlsEnv(),
      ...FAST_RETRY,
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      HOME: join(d, "home"),
      ETCD_CLIENT_PORT: String(ports.clientPort),
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
    const c = await EtcdTestCluster.create(ports);
    cluster = c;
    const initialCluster = c.initialCluster(MASTERS);
    const pids = MASTERS.map((m) => c.start(m, { initialCluster, initialClusterState: "new" }).pid ?? 0);
    await c.waitHealthy(
      MASTERS.map((m) => c.clientUrl(m.ip)),
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

  return {
    get cluster() {
      return etcd();
    },
    clusterDir,
    dirOf,
    onNode,
    cli,
    logOf,
    apiNodes,
    editNode,
    keep: (child) => {
      sleepers.push(child);
    },
  };
}
