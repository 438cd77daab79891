/**
 * The certificate renewal of a master (cloud-init/lib/cert-renewal.sh), run for real on a temp dir
 * laid out like /etc/kubernetes: real openssl certificates with chosen lifetimes, the real
 * etcd_lock_run against a real etcd 3.4 member that is also the master's local etcd (stopped and
 * started like its static pod), real TLS endpoints (`openssl s_server`) for the other components.
 * Stubbed, each saying what it stands for: kubeadm, the kubelet, crictl and systemctl.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ETCDCTL_BIN, EtcdTestCluster, run } from "../support/etcdCluster";
import { LIB_DIR, NODE_FACTS, runLib } from "../support/fakes/bashLib";

const IP = "127.0.43.10";
const M1 = { name: "master-0", ip: IP };
const PORTS = { "kube-apiserver": 26443, "kube-controller-manager": 20257, "kube-scheduler": 20259 };
const PODS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"] as const;
type Pod = (typeof PODS)[number];
const DAY = 86_400_000;
/** openssl with ARGS split at spaces (no path or value here has one). */
const ssl = (args: string) => execFileSync("openssl", args.split(" "), { stdio: ["ignore", "pipe", "pipe"] });
const EC = "-nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1";

// name, its CA, subject, SANs: what kubeadm issues on a control-plane node.
const LEAVES: [string, string, string, string?][] = [
  ["apiserver", "ca", "/CN=kube-apiserver", `DNS:kubernetes,DNS:kubernetes.default,IP:10.96.0.1,IP:${IP}`],
  ["apiserver-kubelet-client", "ca", "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client"],
  ["front-proxy-client", "front-proxy-ca", "/CN=front-proxy-client"],
  ["apiserver-etcd-client", "etcd/ca", "/CN=kube-apiserver-etcd-client"],
  ["etcd/server", "etcd/ca", "/CN=master-0", "DNS:localhost,IP:127.0.0.1"],
  ["etcd/peer", "etcd/ca", "/CN=master-0", `IP:${IP}`],
  ["etcd/healthcheck-client", "etcd/ca", "/CN=kube-etcd-healthcheck-client"],
];
const KUBECONFIGS: [string, string][] = [
  ["admin.conf", "/O=kubeadm:cluster-admins/CN=kubernetes-admin"],
  ["super-admin.conf", "/O=system:masters/CN=kubernetes-super-admin"],
  ["controller-manager.conf", "/CN=system:kube-controller-manager"],
  ["scheduler.conf", "/CN=system:kube-scheduler"],
];

// Stands in for `kubeadm certs renew all` (cmd/kubeadm/app/cmd/certs.go) on a control-plane node:
// each leaf and each kubeconfig's embedded client certificate is re-issued by its CA for 365 days
// with the same subject and extensions (SANs) and a new key. A missing CA certificate fails the
// command; a CA whose key is missing counts as external, as in kubeadm: "Detected external ...
// can't be renewed", and exit 0. A missing certificate is "MISSING!". Anything else is refused.
// It leaves kubeadm.finished behind when it is done (the lock test waits for it).
const KUBEADM = `#!/usr/bin/env bash
set -euo pipefail
printf '%s\\n' "$*" >>"$STUB_LOG_DIR/kubeadm.log"
[[ "$*" == "certs renew all" ]] || { echo "kubeadm stub: unsupported command: $*" >&2; exit 1; }
pki="$KUBEADM_STUB_PKI" work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
reissue() { # CA CERT KEY; 1 when the CA is external
  local ca="$pki/$1"
  [[ -f "$ca.crt" ]] || { echo "error: failure loading $1 certificate authority: open $ca.crt: no such file or directory" >&2; exit 1; }
  [[ -f "$ca.key" ]] || return 1
  openssl x509 -x509toreq -in "$2" -key "$3" -copy_extensions copyall -out "$work/r.csr" 2>/dev/null || exit 1
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/n.key" || exit 1
  openssl pkey -in "$work/n.key" -pubout -out "$work/n.pub" || exit 1
  openssl x509 -req -in "$work/r.csr" -CA "$ca.crt" -CAkey "$ca.key" -days 365 -copy_extensions copyall \\
    -force_pubkey "$work/n.pub" -out "$work/n.crt" 2>/dev/null || exit 1
  mv "$work/n.key" "$3" && mv "$work/n.crt" "$2"
}
for entry in ${LEAVES.map(([name, ca]) => `${name}:${ca}`).join(" ")}; do
  name="\${entry%%:*}" ca="\${entry#*:}"
  if [[ ! -f "$pki/$name.crt" ]]; then echo "MISSING! $name"; continue; fi
  if reissue "$ca" "$pki/$name.crt" "$pki/$name.key"; then echo "$name renewed"; else echo "Detected external $ca, $name can't be renewed"; fi
done
for conf in ${KUBECONFIGS.map(([file]) => file).join(" ")}; do
  file="$KUBEADM_STUB_KUBE/$conf"
  if [[ ! -f "$file" ]]; then echo "MISSING! $conf"; continue; fi
  sed -n 's/^ *client-certificate-data: *//p' "$file" | base64 -d >"$work/c.crt"
  sed -n 's/^ *client-key-data: *//p' "$file" | base64 -d >"$work/c.key"
  if ! reissue ca "$work/c.crt" "$work/c.key"; then echo "Detected external ca, $conf can't be renewed"; continue; fi
  sed -i -e "s|client-certificate-data: .*|client-certificate-data: $(base64 -w0 "$work/c.crt")|" \\
    -e "s|client-key-data: .*|client-key-data: $(base64 -w0 "$work/c.key")|" "$file"
  echo "certificate embedded in $conf renewed"
done
: >"$STUB_LOG_DIR/kubeadm.finished"
`;
// Stands in for crictl against containerd: \`pods --namespace kube-system --name RE --state ready -q\`
// prints the ids of the Ready pod sandboxes whose name matches RE (the fake kubelet keeps one file
// per sandbox). Fails, as crictl does, on another runtime endpoint or an option it does not model.
const CRICTL = `#!/usr/bin/env bash
set -euo pipefail
args="$*"
[[ "$args" =~ ^--runtime-endpoint\\ ([^ ]+)\\ pods\\ --namespace\\ kube-system\\ --name\\ ([^ ]+)\\ --state\\ ready\\ --quiet$ ]] ||
  { echo "crictl stub: not modelled: $args" >&2; exit 1; }
re="\${BASH_REMATCH[2]}"
[[ "\${BASH_REMATCH[1]}" == "$CRI_STUB_ENDPOINT" ]] || { echo "connect: no such file or directory" >&2; exit 1; }
for f in "$CRI_DIR"/*; do if [[ -e "$f" && "$(basename "$f")" =~ $re ]]; then cat "$f"; fi; done
`;
const SYSTEMCTL = '#!/usr/bin/env bash\nprintf \'%s\\n\' "$*" >>"$STUB_LOG_DIR/systemctl.log"\n';

interface Layout {
  root: string;
  pki: string;
  kube: string;
  manifests: string;
  park: string;
  cri: string;
}

let cluster: EtcdTestCluster;
let bin: string;
const dirs: string[] = [];

beforeAll(async () => {
  cluster = await EtcdTestCluster.create({ clientPort: 25079, peerPort: 25080 });
  await cluster.startNew([M1]);
  bin = mkdtempSync(join(tmpdir(), "k8sha-certs-bin-"));
  dirs.push(bin);
  for (const [name, body] of Object.entries({ kubeadm: KUBEADM, crictl: CRICTL, systemctl: SYSTEMCTL })) {
    writeFileSync(join(bin, name), body);
    chmodSync(join(bin, name), 0o755);
  }
  // The controller-manager's and scheduler's serving certificate: self-signed, as theirs.
  ssl(`req -x509 ${EC} -subj /CN=localhost -days 1 -keyout ${bin}/self.key -out ${bin}/self.crt`);
}, 60_000);
afterAll(async () => {
  await cluster.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const opensslConfig = (db: string) =>
  `[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n[ca]\ndefault_ca = k\n[k]\n` +
  `database = ${db}/index.txt\nnew_certs_dir = ${db}\nrand_serial = yes\ndefault_md = sha256\npolicy = p\n` +
  "copy_extensions = copy\nunique_subject = no\n[p]\norganizationName = optional\ncommonName = supplied\n";

/** A master's /etc/kubernetes; every certificate has `days` whole days left (default 200). */
function layout(days: Record<string, number> = {}): Layout {
  const root = mkdtempSync(join(tmpdir(), "k8sha-certs-"));
  dirs.push(root);
  const kube = join(root, "kubernetes");
  const l = {
    root,
    kube,
    pki: join(kube, "pki"),
    manifests: join(kube, "manifests"),
    park: join(kube, "k8sha-parked"),
    cri: join(root, "cri"),
  };
  for (const d of [join(l.pki, "etcd"), l.manifests, l.cri, join(root, "db")])
    mkdirSync(d, { recursive: true });
  writeFileSync(join(root, "db/index.txt"), "");
  const cnf = join(root, "openssl.cnf");
  writeFileSync(cnf, opensslConfig(join(root, "db")));
  for (const [ca, cn] of [
    ["ca", "kubernetes"],
    ["front-proxy-ca", "front-proxy-ca"],
  ]) {
    const exts = "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign";
    ssl(
      `req -x509 -new ${EC} -keyout ${l.pki}/${ca}.key -out ${l.pki}/${ca}.crt -days 3650 -subj /CN=${cn} -config ${cnf} ${exts}`,
    );
  }
  // The etcd CA is the test member's: the health checks and the lock reach it with these files.
  copyFileSync(cluster.ca.cert, join(l.pki, "etcd/ca.crt"));
  copyFileSync(cluster.ca.key, join(l.pki, "etcd/ca.key"));
  const issue = (ca: string, out: string, subj: string, left: number, sans?: string) => {
    const exts = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment"]
      .concat("extendedKeyUsage=serverAuth,clientAuth", sans ? [`subjectAltName=${sans}`] : [])
      .map((e) => `-addext ${e}`);
    ssl(`req -new ${EC} -config ${cnf} -keyout ${out}.key -out ${out}.csr -subj ${subj} ${exts.join(" ")}`);
    // An hour more than `left` days: `left` whole days remain while the test runs.
    const end = new Date(Date.now() + left * DAY + 3_600_000).toISOString().replace(/[-:T]|\.\d+/g, "");
    const signer = `-cert ${l.pki}/${ca}.crt -keyfile ${l.pki}/${ca}.key`;
    ssl(
      `ca -batch -config ${cnf} ${signer} -in ${out}.csr -out ${out}.crt -notext -preserveDN -enddate ${end}`,
    );
  };
  for (const [name, ca, subj, sans] of LEAVES)
    issue(ca, join(l.pki, name), subj, days[`${name}.crt`] ?? 200, sans);
  const b64 = (path: string) => readFileSync(path).toString("base64");
  for (const [file, subj] of KUBECONFIGS) {
    issue("ca", join(root, "client"), subj, days[file] ?? 200);
    writeFileSync(
      join(kube, file),
      `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n` +
        `    certificate-authority-data: ${b64(join(l.pki, "ca.crt"))}\n    server: https://${IP}:26443\n  name: kubernetes\n` +
        `users:\n- name: user\n  user:\n    client-certificate-data: ${b64(join(root, "client.crt"))}\n` +
        `    client-key-data: ${b64(join(root, "client.key"))}\n`,
    );
  }
  for (const pod of PODS)
    writeFileSync(join(l.manifests, `${pod}.yaml`), `kind: Pod\nmetadata:\n  name: ${pod}\n`);
  return l;
}

/** A certificate of the layout: a file under pki/, or the one embedded in a kubeconfig. */
function certOf(l: Layout, source: string): X509Certificate {
  if (!source.endsWith(".conf")) return new X509Certificate(readFileSync(join(l.pki, source)));
  const data = /client-certificate-data: (\S+)/.exec(readFileSync(join(l.kube, source), "utf8"))?.[1] ?? "";
  return new X509Certificate(Buffer.from(data, "base64"));
}
const SOURCES = [...LEAVES.map(([name]) => `${name}.crt`), ...KUBECONFIGS.map(([file]) => file)];

/**
 * Stands in for the kubelet's static pods: every 300 ms it compares the manifest dir with what it
 * runs (a removed manifest stops its pod, a present one starts it) and keeps one file per Ready
 * pod sandbox for the crictl stub. Its pods: the real etcd member; `openssl s_server` (real TLS,
 * 200 to any GET) for the API server, with its certificate read at start as the real one does,
 * and for the controller-manager and scheduler. A pod in `neverHealthy` starts but never answers
 * (a crash loop); one in `neverStops` ignores its manifest's removal.
 */
class FakeKubelet {
  readonly events: { at: number; what: string }[] = [];
  readonly neverHealthy = new Set<Pod>();
  readonly neverStops = new Set<Pod>();
  private readonly servers = new Map<Pod, ChildProcess>();
  private readonly timer: NodeJS.Timeout;
  private busy = false;

  constructor(private readonly l: Layout) {
    for (const pod of PODS) this.startPod(pod);
    this.timer = setInterval(() => void this.tick(), 300);
  }

  private sandbox = (pod: Pod) => join(this.l.cri, `${pod}-master-0`);

  private startPod(pod: Pod): void {
    if (pod === "etcd" && !cluster.isRunning(M1.name))
      cluster.start(M1, { initialCluster: cluster.initialCluster([M1]), initialClusterState: "new" });
    if (pod !== "etcd" && !this.neverHealthy.has(pod)) this.serve(pod);
    writeFileSync(this.sandbox(pod), `${pod}-sandbox-id\n`);
  }

  /** The pod's process, answering on its port (a pod that was crash-looping recovers). */
  serve(pod: Exclude<Pod, "etcd">): void {
    const [cert, key] =
      pod === "kube-apiserver"
        ? ["apiserver.crt", "apiserver.key"].map((f) => join(this.l.pki, f))
        : [join(bin, "self.crt"), join(bin, "self.key")];
    const args = `s_server -accept ${IP}:${PORTS[pod]} -cert ${cert} -key ${key} -www -quiet`.split(" ");
    this.servers.set(pod, spawn("openssl", args, { stdio: "ignore" }));
  }

  private async stopPod(pod: Pod): Promise<void> {
    if (pod === "etcd") await cluster.stop(M1.name);
    const server = this.servers.get(pod);
    this.servers.delete(pod);
    if (server && server.exitCode === null) await new Promise((done) => server.once("exit", done).kill());
    rmSync(this.sandbox(pod), { force: true });
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    for (const pod of PODS) {
      const present = existsSync(join(this.l.manifests, `${pod}.yaml`));
      const running = existsSync(this.sandbox(pod));
      if (!present && running && !this.neverStops.has(pod)) {
        await this.stopPod(pod);
        this.events.push({ at: Date.now(), what: `stop ${pod}` });
      } else if (present && !running) {
        this.startPod(pod);
        this.events.push({ at: Date.now(), what: `start ${pod}` });
      }
    }
    this.busy = false;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 50));
    for (const pod of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const)
      await this.stopPod(pod);
    if (!cluster.isRunning(M1.name)) this.startPod("etcd");
    await cluster.waitHealthy([cluster.clientUrl(IP)]);
  }
}

let kubelet: FakeKubelet | undefined;
afterEach(async () => {
  await kubelet?.stop();
  kubelet = undefined;
});

function env(l: Layout): Record<string, string> {
  return {
    ...{ K8SHA_PKI_DIR: l.pki, K8SHA_KUBECONFIG_DIR: l.kube, K8SHA_STATE_DIR: join(l.root, "state") },
    ...{ K8SHA_CERT_LOCK_ENDPOINTS: cluster.clientUrl(IP), K8SHA_ETCD_ENDPOINT: cluster.clientUrl(IP) },
    ...{ K8SHA_ETCDCTL: ETCDCTL_BIN, ETCD_LOCK_WAIT_SECONDS: "30", K8SHA_CERT_HEALTH_HOST: IP },
    API_PORT: String(PORTS["kube-apiserver"]),
    K8SHA_KCM_PORT: String(PORTS["kube-controller-manager"]),
    K8SHA_SCHEDULER_PORT: String(PORTS["kube-scheduler"]),
    ...{ K8SHA_CERT_STOP_WAIT_SECONDS: "20", K8SHA_CERT_START_WAIT_SECONDS: "20" },
    ...{
      KUBEADM: join(bin, "kubeadm"),
      K8SHA_CRICTL: join(bin, "crictl"),
      K8SHA_SYSTEMCTL: join(bin, "systemctl"),
    },
    ...{ KUBEADM_STUB_PKI: l.pki, KUBEADM_STUB_KUBE: l.kube, STUB_LOG_DIR: l.root, CRI_DIR: l.cri },
    CRI_STUB_ENDPOINT: NODE_FACTS.CRI_SOCKET ?? "",
  };
}
const LIBS = ["etcd-member.sh", "cert-expiry.sh", "cert-renewal.sh", "cert-renewal-timer.sh"];
const renewal = (l: Layout, extra: Record<string, string> = {}) =>
  runLib(LIBS, "cert_renewal_once", [], { ...env(l), ...extra });
const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");
const manifestsInPlace = (l: Layout) =>
  expect({
    manifests: readdirSync(l.manifests).sort(),
    parked: existsSync(l.park) ? readdirSync(l.park) : [],
  }).toEqual({ manifests: PODS.map((p) => `${p}.yaml`).sort(), parked: [] });

test("cert_days_left: whole days of the earliest file certificate, and names it", async () => {
  const l = layout({ "apiserver-etcd-client.crt": 5, "etcd/peer.crt": 9 });
  const r = await runLib(LIBS, "cert_days_left", [], env(l));
  expect({ code: r.code, stdout: r.stdout }).toEqual({
    code: 0,
    stdout: `5 ${l.pki}/apiserver-etcd-client.crt\n`,
  });
});

test("cert_days_left: a kubeconfig's embedded client certificate nearer expiry than the files wins", async () => {
  const l = layout({ "apiserver.crt": 5, "scheduler.conf": 3 });
  const r = await runLib(LIBS, "cert_days_left", [], env(l));
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: `3 ${l.kube}/scheduler.conf\n` });
});

test("200 days left: nothing renewed, kubeadm never called, no pod restarted", async () => {
  const l = layout();
  kubelet = new FakeKubelet(l);
  const r = await renewal(l);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain("has 200 days left, more than 30: nothing to renew");
  expect(read(join(l.root, "kubeadm.log"))).toBe("");
  expect(kubelet.events).toEqual([]);
});

test("5 days left: renewed for a year, the pods restarted one at a time in order under the lock, once", async () => {
  const l = layout({ "apiserver.crt": 5 });
  const before = Object.fromEntries(SOURCES.map((s) => [s, certOf(l, s)]));
  kubelet = new FakeKubelet(l);
  // Another master holds the renewal lock until 3 s after kubeadm finished: no pod may stop before.
  const wait = `echo held; until [ -e ${l.root}/kubeadm.finished ]; do sleep 0.1; done; sleep 3`;
  const holder = spawn(
    ETCDCTL_BIN,
    [`--endpoints=${cluster.clientUrl(IP)}`, "lock", "k8sha/cert-renewal", "--", "sh", "-c", wait],
    { env: { ...process.env, ...cluster.tlsEnv() } },
  );
  expect(String(await new Promise((held) => holder.stdout.once("data", held)))).toBe("held\n");
  const released = new Promise<number>((done) => holder.once("exit", () => done(Date.now())));
  const r = await renewal(l);
  expect(r.stderr).toContain("certificates renewed and control plane restarted");
  expect(r.code).toBe(0);
  expect(r.stderr).toContain("holding the etcd lock k8sha/cert-renewal");
  expect(read(join(l.root, "kubeadm.log"))).toBe("certs renew all\n");
  for (const s of SOURCES) {
    const [old, renewed] = [before[s], certOf(l, s)];
    const days = (Date.parse(renewed.validTo) - Date.now()) / DAY;
    expect({ s, days: days > 364 && days <= 365 }).toEqual({ s, days: true });
    expect({ s, subject: renewed.subject, sans: renewed.subjectAltName }).toEqual({
      s,
      subject: old?.subject,
      sans: old?.subjectAltName,
    });
    expect(renewed.publicKey.equals(old?.publicKey ?? renewed.publicKey)).toBe(false);
  }
  expect(kubelet.events.map((e) => e.what)).toEqual(PODS.flatMap((p) => [`stop ${p}`, `start ${p}`]));
  expect(kubelet.events[0]?.at).toBeGreaterThanOrEqual(await released);
  const log = r.stderr.split("\n");
  for (const [healthy, next] of PODS.slice(1).map((p, i) => [PODS[i], p])) {
    const a = log.findIndex((line) => line.endsWith(`${healthy} is healthy again`));
    expect(a).toBeGreaterThan(0);
    expect(
      log.findIndex((line) => line.endsWith(`restarting ${next}: moving its manifest to ${l.park}`)),
    ).toBeGreaterThan(a);
  }
  manifestsInPlace(l);
  // Twice in a row renews once.
  const again = await renewal(l);
  expect(again.code).toBe(0);
  expect(again.stderr).toContain("has 364 days left, more than 30: nothing to renew");
  expect(read(join(l.root, "kubeadm.log"))).toBe("certs renew all\n");
  expect(kubelet.events).toHaveLength(8);
}, 120_000);

test("a component that never becomes healthy fails the run, named; every manifest is back; the next run finishes", async () => {
  const l = layout({ "etcd/server.crt": 5 });
  kubelet = new FakeKubelet(l);
  kubelet.neverHealthy.add("kube-controller-manager");
  const r = await renewal(l, { K8SHA_CERT_START_WAIT_SECONDS: "4" });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("kube-controller-manager did not become healthy again");
  expect(r.stderr).toContain("certificate renewal FAILED while restarting the control plane");
  manifestsInPlace(l);
  expect(kubelet.events.map((e) => e.what)).toEqual([
    "stop kube-apiserver",
    "start kube-apiserver",
    "stop kube-controller-manager",
    "start kube-controller-manager",
  ]);
  // Fresh certificates, pods not all restarted: the next run restarts them without renewing again.
  kubelet.neverHealthy.delete("kube-controller-manager");
  kubelet.serve("kube-controller-manager");
  const next = await renewal(l);
  expect(next.code).toBe(0);
  expect(next.stderr).toContain("did not finish restarting the pods");
  expect(read(join(l.root, "kubeadm.log"))).toBe("certs renew all\n");
  expect(kubelet.events.slice(4).map((e) => e.what)).toEqual(
    PODS.flatMap((p) => [`stop ${p}`, `start ${p}`]),
  );
}, 120_000);

test("a pod the kubelet never stops: its manifest is put back, the run fails, nothing else restarted", async () => {
  const l = layout({ "front-proxy-client.crt": 2 });
  kubelet = new FakeKubelet(l);
  kubelet.neverStops.add("kube-apiserver");
  const r = await renewal(l, { K8SHA_CERT_STOP_WAIT_SECONDS: "3" });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("the kubelet did not stop kube-apiserver; putting its manifest back");
  manifestsInPlace(l);
  expect(kubelet.events).toEqual([]);
}, 60_000);

test("a CA key missing: kubeadm renews nothing (external CA, exit 0), the run fails before any restart", async () => {
  const l = layout({ "apiserver.crt": 5 });
  rmSync(join(l.pki, "ca.key"));
  kubelet = new FakeKubelet(l);
  const r = await renewal(l);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("Detected external ca, apiserver can't be renewed");
  expect(r.stderr).toContain(`${l.pki}/apiserver.crt still expires within 30 days`);
  expect(r.stderr).toContain("certificate renewal FAILED; no pod restarted");
  expect(kubelet.events).toEqual([]);
  manifestsInPlace(l);
}, 60_000);

test("the timer: well-formed units, env file, enabled, idempotent; ExecStopPost puts a parked manifest back", async () => {
  const l = layout();
  const units = join(l.root, "units");
  const install = () =>
    runLib(LIBS, "install_cert_renewal_timer", [], {
      ...env(l),
      ...{
        K8SHA_SYSTEMD_DIR: units,
        K8SHA_CERT_ENV_FILE: join(l.root, "etc/cert-renewal.env"),
        K8SHA_LIB_DIR: LIB_DIR,
      },
      ...{ K8SHA_CERT_LOCK_ENDPOINTS: "", K8SHA_ETCD_ENDPOINT: "", MEMBER_ADDRESSES: "10.0.0.20 10.0.16.21" },
    });
  expect((await install()).code).toBe(0);
  const first = ["service", "timer"].map((u) => read(join(units, `k8sha-cert-renewal.${u}`)));
  expect((await install()).code).toBe(0);
  expect(["service", "timer"].map((u) => read(join(units, `k8sha-cert-renewal.${u}`)))).toEqual(first);
  const [service = "", timer = ""] = first;
  for (const line of ["OnCalendar=daily", "Persistent=true", "OnBootSec=1h"])
    expect(timer).toMatch(new RegExp(`^${line}$`, "m"));
  expect(timer).toMatch(/^RandomizedDelaySec=\d+h$/m);
  expect(service).toMatch(
    new RegExp(
      `^ExecStart=/bin/bash .*${LIB_DIR}/cert-expiry.sh && \\. ${LIB_DIR}/cert-renewal.sh && cert_renewal_once'$`,
      "m",
    ),
  );
  expect(read(join(l.root, "systemctl.log"))).toBe(
    "daemon-reload\nenable --now k8sha-cert-renewal.timer\n".repeat(2),
  );
  const verify = await run("systemd-analyze", [
    "verify",
    join(units, "k8sha-cert-renewal.timer"),
    join(units, "k8sha-cert-renewal.service"),
  ]);
  expect({ code: verify.code, stderr: verify.stderr }).toEqual({ code: 0, stderr: "" });
  const envFile = join(l.root, "etc/cert-renewal.env");
  const vars = (await run("bash", ["-c", `set -a; . ${envFile}; env`])).stdout;
  expect(vars).toContain(
    `K8SHA_CERT_LOCK_ENDPOINTS=https://10.0.0.20:${NODE_FACTS.ETCD_CLIENT_PORT},https://10.0.16.21:${NODE_FACTS.ETCD_CLIENT_PORT}\n`,
  );
  expect(vars).toContain(`K8SHA_ETCD_ENDPOINT=https://127.0.0.1:${NODE_FACTS.ETCD_CLIENT_PORT}\n`);
  expect(vars).toContain(`K8SHA_PKI_DIR=${l.pki}\n`);
  // A run killed with the API server's manifest parked: ExecStopPost, as systemd runs it.
  mkdirSync(l.park);
  renameSync(join(l.manifests, "kube-apiserver.yaml"), join(l.park, "kube-apiserver.yaml"));
  const stopPost = /^ExecStopPost=\/bin\/bash -euo pipefail -c '(.*)'$/m.exec(service)?.[1] ?? "false";
  const post = await run("bash", ["-euo", "pipefail", "-c", `set -a; . ${envFile}; set +a; ${stopPost}`]);
  expect(post.code).toBe(0);
  manifestsInPlace(l);
  // Without kubeadm's certificates (no control plane yet) nothing is installed.
  rmSync(units, { recursive: true });
  rmSync(join(l.pki, "apiserver.crt"));
  expect((await install()).code).toBe(0);
  expect(existsSync(units)).toBe(false);
}, 60_000);
