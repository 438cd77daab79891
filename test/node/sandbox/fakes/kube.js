// Stubs of kubeadm, kubelet and kubectl for the node sandbox (plain JavaScript, run by the
// host's node). kubeadm cannot run here (no container runtime, no kubelet, no API server), so
// this models what each command the boot calls does to the NODE, following kubeadm's source
// (cmd/kubeadm/app/cmd/join.go phase order; phases/etcd/local.go manifest flags and volumes;
// preflight/checks_linux.go mandatory binaries; util/etcd AddMemberAsLearner retried for
// EtcdAPICallTimeout = 2 min), and keeps the cluster's API state as files in CLUSTER_DIR.
// The etcd "static pod" is the host's real etcd 3.4, started from the manifest's own flags.

const fs = require("node:fs");
const path = require("node:path");
const cp = require("node:child_process");
const crypto = require("node:crypto");

const ENV = Object.fromEntries(
  fs
    .readFileSync("@FAKE_ENV@", "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 2, -1)]),
);
const YAML = require(path.join(ENV.PROJECT_DIR, "node_modules", "yaml"));
const HOST_BIN = path.join(ENV.HOST_USR, "bin");
const K = "/etc/kubernetes";
const PKI = `${K}/pki`;
const API = path.join(ENV.CLUSTER_DIR, "api");
fs.mkdirSync(API, { recursive: true });

const log = (msg) => process.stderr.write(`${msg}\n`);
function fail(msg, code = 1) {
  log(`error: ${msg}`);
  process.exit(code);
}
const exists = (p) => fs.existsSync(p);
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const readText = (p) => (exists(p) ? fs.readFileSync(p, "utf8") : "");
const readJson = (p, d) => (exists(p) ? JSON.parse(fs.readFileSync(p, "utf8")) : d);
const writeJson = (p, v) => fs.writeFileSync(p, JSON.stringify(v, null, 1));
function host(cmd, args, opts = {}) {
  return cp.execFileSync(path.join(HOST_BIN, cmd), args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    ...opts,
  });
}

// ---------- configuration ----------
function loadConfig(file) {
  if (!file) fail("--config is required by this stub");
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8")).map((d) => d.toJS());
  const byKind = Object.fromEntries(docs.filter(Boolean).map((d) => [d.kind, d]));
  for (const d of docs)
    if (d && d.apiVersion !== "kubeadm.k8s.io/v1beta4") fail(`${file}: unknown apiVersion ${d.apiVersion}`);
  return byKind;
}
function kubernetesVersion(cfg) {
  const v =
    cfg.ClusterConfiguration?.kubernetesVersion ??
    `v${fs.readFileSync(`${ENV.SANDBOX}/kubernetes-version`, "utf8").trim()}`;
  const m = /^v1\.(\d+)\.(\d+)$/.exec(v);
  if (!m) fail(`bad kubernetesVersion ${v}`);
  return { text: v, minor: Number(m[1]) };
}
// constants.SupportedEtcdVersion and PauseVersion, as read in kubeadm's constants.go.
function etcdTag(minor) {
  return minor <= 30 ? "3.5.15-0" : minor <= 33 ? "3.5.24-0" : "3.6.5-0";
}
function images(cfg) {
  const v = kubernetesVersion(cfg);
  const r = "registry.k8s.io";
  return [
    ...["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"].map(
      (c) => `${r}/${c}:${v.text}`,
    ),
    `${r}/coredns/coredns:v1.12.0`,
    `${r}/pause:${v.minor >= 34 ? "3.10.1" : "3.10"}`,
    `${r}/etcd:${etcdTag(v.minor)}`,
  ];
}
function pullImages(cfg) {
  const file = `${ENV.SANDBOX}/images`;
  const have = exists(file) ? fs.readFileSync(file, "utf8").split("\n") : [];
  for (const img of images(cfg)) if (!have.includes(img)) fs.appendFileSync(file, `${img}\n`);
}

// ---------- preflight ----------
function onPath(cmd) {
  return process.env.PATH.split(":").some((d) => exists(path.join(d, cmd)));
}
function preflight(cfg, controlPlane, isInit) {
  const errs = [];
  const v = kubernetesVersion(cfg);
  const required = ["ip", "mount", "nsenter", "iptables"];
  // checks_linux.go: conntrack is mandatory below 1.32 (init passes the version; join does not).
  if (isInit && v.minor < 32) required.push("conntrack");
  for (const c of required)
    if (!onPath(c)) errs.push(`[ERROR FileExisting-${c}]: ${c} not found in system path`);
  if (!readText(`${ENV.SANDBOX}/units-active`).includes("containerd.service"))
    errs.push("[ERROR CRI]: container runtime is not running");
  if (controlPlane) {
    for (const m of ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"])
      if (exists(`${K}/manifests/${m}.yaml`))
        errs.push(
          `[ERROR FileAvailable--etc-kubernetes-manifests-${m}.yaml]: ${K}/manifests/${m}.yaml already exists`,
        );
    const data = cfg.ClusterConfiguration?.etcd?.local?.dataDir ?? dataDirFromManifest();
    if (data && exists(data) && fs.readdirSync(data).length > 0)
      errs.push(`[ERROR DirAvailable-${data}]: ${data} is not empty`);
  }
  if (exists(`${K}/kubelet.conf`))
    errs.push(`[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: ${K}/kubelet.conf already exists`);
  if (errs.length) fail(`[preflight] Some fatal errors occurred:\n\t${errs.join("\n\t")}`);
  pullImages(cfg);
}

// ---------- certificates ----------
function cert(name, caBase, cn, sans, clientOnly = false) {
  const crt = `${PKI}/${name}.crt`;
  if (exists(crt)) return; // kubeadm keeps certificates that already exist and are valid
  if (!exists(`${caBase}.key`)) fail(`couldn't load the certificate authority ${caBase}: no key`);
  const cnf = `${ENV.SANDBOX}/openssl.cnf`;
  fs.writeFileSync(cnf, "[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=x\n");
  const args = [
    "req",
    "-x509",
    "-new",
    "-nodes",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
  ];
  args.push("-keyout", `${PKI}/${name}.key`, "-out", crt, "-days", "2", "-subj", `/CN=${cn}`, "-config", cnf);
  args.push(
    "-CA",
    `${caBase}.crt`,
    "-CAkey",
    `${caBase}.key`,
    "-addext",
    `extendedKeyUsage=${clientOnly ? "clientAuth" : "serverAuth,clientAuth"}`,
  );
  if (sans.length) args.push("-addext", `subjectAltName=${sans.join(",")}`);
  host("openssl", args);
}
function nodeOf(cfg) {
  const init = cfg.InitConfiguration;
  const join = cfg.JoinConfiguration;
  const reg = (init ?? join)?.nodeRegistration ?? {};
  const ip =
    init?.localAPIEndpoint?.advertiseAddress ?? join?.controlPlane?.localAPIEndpoint?.advertiseAddress;
  return { name: reg.name, ip, reg };
}
function etcdCerts(cfg) {
  const { name, ip } = nodeOf(cfg);
  if (!exists(`${PKI}/etcd/ca.crt`)) fail(`${PKI}/etcd/ca.crt: no etcd CA`);
  const sans = [`DNS:${name}`, "DNS:localhost", "IP:127.0.0.1", "IP:0:0:0:0:0:0:0:1", `IP:${ip}`];
  cert("etcd/server", `${PKI}/etcd/ca`, name, sans);
  cert("etcd/peer", `${PKI}/etcd/ca`, name, sans);
  cert("etcd/healthcheck-client", `${PKI}/etcd/ca`, "kube-etcd-healthcheck-client", [], true);
  cert("apiserver-etcd-client", `${PKI}/etcd/ca`, "kube-apiserver-etcd-client", [], true);
  cert("apiserver", `${PKI}/ca`, "kube-apiserver", [`IP:${ip}`, "DNS:kubernetes"]);
}

// The kube-apiserver static pod, as far as the boot sees it: /readyz on <advertise address>:6443,
// ready while its etcd (the local member) is healthy, which needs etcd quorum.
function apiServerManifest(cfg) {
  const { ip } = nodeOf(cfg);
  fs.mkdirSync(`${K}/manifests`, { recursive: true });
  fs.writeFileSync(
    `${K}/manifests/kube-apiserver.yaml`,
    YAML.stringify({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "kube-apiserver",
        namespace: "kube-system",
        annotations: { "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": `${ip}:6443` },
      },
      spec: {
        containers: [
          {
            name: "kube-apiserver",
            command: ["kube-apiserver", `--advertise-address=${ip}`, `--etcd-servers=https://127.0.0.1:2379`],
          },
        ],
      },
    }),
  );
}
function serveApi() {
  const https = require("node:https");
  const server = https.createServer(
    { cert: fs.readFileSync(`${PKI}/apiserver.crt`), key: fs.readFileSync(`${PKI}/apiserver.key`) },
    (req, res) => {
      if (!req.url.startsWith("/readyz")) return res.writeHead(404).end();
      cp.execFile(
        path.join(HOST_BIN, "etcdctl"),
        [
          `--endpoints=https://${ENV.NODE_IP}:2379`,
          `--cacert=${PKI}/etcd/ca.crt`,
          `--cert=${PKI}/apiserver-etcd-client.crt`,
          `--key=${PKI}/apiserver-etcd-client.key`,
          "--command-timeout=2s",
          "endpoint",
          "health",
        ],
        { env: { ETCDCTL_API: "3" } },
        (err) => {
          res.writeHead(err ? 500 : 200).end(err ? "[-]etcd failed" : "ok");
        },
      );
    },
  );
  server.listen(6443, ENV.NODE_IP);
}

// ---------- kubeconfigs ----------
function kubeconfig(file, server, user) {
  fs.writeFileSync(
    file,
    YAML.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "kubernetes", cluster: { server } }],
      users: [{ name: user }],
    }),
  );
}
function controlPlaneKubeconfigs(cfg) {
  const { ip } = nodeOf(cfg);
  const endpoint =
    cfg.ClusterConfiguration?.controlPlaneEndpoint ??
    readJson(`${API}/cluster.json`, {}).controlPlaneEndpoint;
  kubeconfig(`${K}/admin.conf`, `https://${endpoint}`, "kubernetes-admin");
  kubeconfig(`${K}/super-admin.conf`, `https://${endpoint}`, "kubernetes-super-admin");
  for (const c of ["controller-manager", "scheduler"])
    kubeconfig(`${K}/${c}.conf`, `https://${ip}:6443`, `system:kube-${c}`);
}

// ---------- the etcd static pod (phases/etcd/local.go) ----------
function etcdManifest(cfg, initialCluster, state) {
  const { name, ip } = nodeOf(cfg);
  const local = cfg.ClusterConfiguration?.etcd?.local ?? readJson(`${API}/cluster.json`, {}).etcdLocal;
  const dataDir = local.dataDir ?? "/var/lib/etcd";
  const flags = {
    "advertise-client-urls": `https://${ip}:2379`,
    "cert-file": `${PKI}/etcd/server.crt`,
    "client-cert-auth": "true",
    "data-dir": dataDir,
    "initial-advertise-peer-urls": `https://${ip}:2380`,
    "initial-cluster": initialCluster ?? `${name}=https://${ip}:2380`,
    "key-file": `${PKI}/etcd/server.key`,
    "listen-client-urls": `https://127.0.0.1:2379,https://${ip}:2379`,
    "listen-metrics-urls": "http://127.0.0.1:2381",
    "listen-peer-urls": `https://${ip}:2380`,
    name,
    "peer-cert-file": `${PKI}/etcd/peer.crt`,
    "peer-client-cert-auth": "true",
    "peer-key-file": `${PKI}/etcd/peer.key`,
    "peer-trusted-ca-file": `${PKI}/etcd/ca.crt`,
    "snapshot-count": "10000",
    "trusted-ca-file": `${PKI}/etcd/ca.crt`,
  };
  if (state) flags["initial-cluster-state"] = state;
  for (const a of local.extraArgs ?? []) flags[a.name] = a.value;
  let pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "etcd", namespace: "kube-system" },
    spec: {
      containers: [
        {
          name: "etcd",
          image: `registry.k8s.io/etcd:${etcdTag(kubernetesVersion(cfg).minor)}`,
          command: ["etcd", ...Object.entries(flags).map(([k, v]) => `--${k}=${v}`)],
          volumeMounts: [
            { name: "etcd-data", mountPath: dataDir },
            { name: "etcd-certs", mountPath: `${PKI}/etcd` },
          ],
        },
      ],
      hostNetwork: true,
      volumes: [
        { name: "etcd-certs", hostPath: { path: `${PKI}/etcd`, type: "DirectoryOrCreate" } },
        { name: "etcd-data", hostPath: { path: dataDir, type: "DirectoryOrCreate" } },
      ],
    },
  };
  pod = applyPatches(cfg, "etcd", pod);
  fs.mkdirSync(`${K}/manifests`, { recursive: true });
  fs.writeFileSync(`${K}/manifests/etcd.yaml`, YAML.stringify(pod));
  writeJson(`${API}/cluster.json`, {
    ...readJson(`${API}/cluster.json`, {}),
    etcdLocal: local,
    controlPlaneEndpoint:
      cfg.ClusterConfiguration?.controlPlaneEndpoint ??
      readJson(`${API}/cluster.json`, {}).controlPlaneEndpoint,
  });
}
// util/patches: files `<target>[suffix][+type].yaml` in patches.directory, strategic merge by default;
// a strategic merge patch merges the volumes list by name.
function applyPatches(cfg, target, obj) {
  const dir = (cfg.InitConfiguration ?? cfg.JoinConfiguration)?.patches?.directory;
  if (!dir || !exists(dir)) return obj;
  for (const f of fs.readdirSync(dir).sort()) {
    const m = /^([a-z-]+?)\d*(\+(strategic|merge|json))?\.(yaml|json)$/.exec(f);
    if (!m || m[1] !== target) continue;
    if (m[3] && m[3] !== "strategic") fail(`stub models strategic patches only: ${f}`);
    obj = strategicMerge(obj, YAML.parse(fs.readFileSync(path.join(dir, f), "utf8")));
  }
  return obj;
}
function strategicMerge(base, patch) {
  if (Array.isArray(base) && Array.isArray(patch)) {
    const out = base.map((b) => ({ ...b }));
    for (const p of patch) {
      const i = out.findIndex((b) => b && p && b.name !== undefined && b.name === p.name);
      if (i >= 0) out[i] = strategicMerge(out[i], p);
      else out.push(p);
    }
    return out;
  }
  if (base && patch && typeof base === "object" && typeof patch === "object") {
    const out = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? strategicMerge(base[k], v) : v;
    return out;
  }
  return patch;
}
function dataDirFromManifest() {
  if (!exists(`${K}/manifests/etcd.yaml`)) return undefined;
  const pod = YAML.parse(fs.readFileSync(`${K}/manifests/etcd.yaml`, "utf8"));
  return pod.spec.containers[0].command.find((c) => c.startsWith("--data-dir="))?.slice(11);
}

// ---------- the kubelet: runs static pods, TLS bootstrap ----------
function runStaticPods() {
  const file = `${K}/manifests/etcd.yaml`;
  fs.mkdirSync(`${ENV.SANDBOX}/pods`, { recursive: true });
  const pidFile = `${ENV.SANDBOX}/pods/etcd.pid`;
  if (exists(file) && !(exists(pidFile) && alive(Number(fs.readFileSync(pidFile, "utf8"))))) {
    const pod = YAML.parse(fs.readFileSync(file, "utf8"));
    for (const v of pod.spec.volumes) {
      const p = v.hostPath.path;
      if (v.hostPath.type === "DirectoryOrCreate") fs.mkdirSync(p, { recursive: true });
      if (v.hostPath.type === "Directory" && !(exists(p) && fs.statSync(p).isDirectory())) {
        fs.appendFileSync(
          `${ENV.SANDBOX}/kubelet.log`,
          `MountVolume.SetUp failed for volume "${v.name}": hostPath type check failed: ${p} is not a directory\n`,
        );
        return;
      }
    }
    // Every node shares this machine's 127.0.0.1; a node's own loopback is its address here.
    const args = pod.spec.containers[0].command
      .slice(1)
      .map((a) => a.replaceAll("127.0.0.1", ENV.NODE_IP))
      .filter((a) => !a.startsWith("--listen-metrics-urls="));
    const out = fs.openSync(`${ENV.SANDBOX}/pods/etcd.log`, "a");
    // A pod gets only the environment its manifest names (none here), not the boot script's.
    const child = cp.spawn(path.join(HOST_BIN, "etcd"), args, {
      detached: true,
      stdio: ["ignore", out, out],
      env: {},
    });
    fs.writeFileSync(pidFile, String(child.pid));
    child.unref();
  }
  const apiPid = `${ENV.SANDBOX}/pods/kube-apiserver.pid`;
  if (
    exists(`${K}/manifests/kube-apiserver.yaml`) &&
    !(exists(apiPid) && alive(Number(fs.readFileSync(apiPid, "utf8"))))
  ) {
    const out = fs.openSync(`${ENV.SANDBOX}/pods/kube-apiserver.log`, "a");
    const child = cp.spawn(process.execPath, [__filename, "kube-apiserver"], {
      detached: true,
      stdio: ["ignore", out, out],
    });
    fs.writeFileSync(apiPid, String(child.pid));
    child.unref();
  }
  // TLS bootstrap: with a bootstrap kubeconfig and an API to talk to, the kubelet gets kubelet.conf.
  if (
    exists(`${K}/bootstrap-kubelet.conf`) &&
    !exists(`${K}/kubelet.conf`) &&
    exists(`${ENV.CLUSTER_DIR}/api-up`)
  )
    fs.copyFileSync(`${K}/bootstrap-kubelet.conf`, `${K}/kubelet.conf`);
}
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------- etcd client (kubeadm's own, with apiserver-etcd-client) ----------
function etcdctl(endpoints, args) {
  return host(
    "etcdctl",
    [
      `--endpoints=${endpoints}`,
      `--cacert=${PKI}/etcd/ca.crt`,
      `--cert=${PKI}/apiserver-etcd-client.crt`,
      `--key=${PKI}/apiserver-etcd-client.key`,
      "--dial-timeout=2s",
      "--command-timeout=5s",
      ...args,
    ],
    { env: { ETCDCTL_API: "3" } },
  );
}
function waitFor(what, seconds, fn) {
  const end = Date.now() + seconds * 1000;
  let last;
  for (;;) {
    try {
      const v = fn();
      if (v !== false) return v;
    } catch (e) {
      last = String(e.stderr || e.message).trim();
    }
    if (Date.now() > end) fail(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    sleep(500);
  }
}
function waitLocalEtcd(ip) {
  waitFor("the local etcd", 120, () => etcdctl(`https://${ip}:2379`, ["endpoint", "health"]));
}

// ---------- API state ----------
function nodes() {
  return readJson(`${API}/nodes.json`, []);
}
function registerNode(name, ip, controlPlane, labels = {}) {
  const list = nodes().filter((n) => n.name !== name);
  list.push({ name, ip, ready: true, controlPlane, labels });
  writeJson(`${API}/nodes.json`, list);
}
function spkiHash(caFile) {
  const pem = fs.readFileSync(caFile, "utf8");
  const der = new crypto.X509Certificate(pem).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${crypto.createHash("sha256").update(der).digest("hex")}`;
}
function discovery(cfg) {
  const d = cfg.JoinConfiguration?.discovery?.bootstrapToken;
  if (!d) fail("discovery.bootstrapToken is required");
  if (!exists(`${ENV.CLUSTER_DIR}/api-up`))
    fail(
      `couldn't validate the identity of the API Server: Get "https://${d.apiServerEndpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info": connection refused`,
    );
  if (!readJson(`${API}/tokens.json`, []).includes(d.token))
    fail(
      "couldn't validate the identity of the API Server: token id is invalid for this cluster or it has expired",
    );
  const want = spkiHash(`${ENV.CLUSTER_DIR}/ca.crt`);
  if (!(d.caCertHashes ?? []).includes(want))
    fail(
      `cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${want}" are pinned`,
    );
  fs.mkdirSync(PKI, { recursive: true });
  if (!exists(`${PKI}/ca.crt`)) fs.copyFileSync(`${ENV.CLUSTER_DIR}/ca.crt`, `${PKI}/ca.crt`);
}

// ---------- kubeadm ----------
function kubeletStart(cfg, controlPlane) {
  fs.mkdirSync("/var/lib/kubelet", { recursive: true });
  fs.writeFileSync(
    "/var/lib/kubelet/config.yaml",
    "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n",
  );
  const server = controlPlane
    ? `https://${nodeOf(cfg).ip}:6443`
    : `https://${cfg.JoinConfiguration.discovery.bootstrapToken.apiServerEndpoint}`;
  kubeconfig(`${K}/bootstrap-kubelet.conf`, server, "tls-bootstrap-token-user");
  cp.execFileSync("systemctl", ["restart", "kubelet"], { stdio: "inherit" });
}
function kubeletWaitBootstrap() {
  waitFor("the kubelet TLS bootstrap", 60, () => {
    runStaticPods();
    return exists(`${K}/kubelet.conf`);
  });
  fs.rmSync(`${K}/bootstrap-kubelet.conf`, { force: true }); // phases/join/kubelet.go: deferred os.Remove
}
function etcdJoin(cfg) {
  const { name, ip } = nodeOf(cfg);
  const peers = nodes()
    .filter((n) => n.controlPlane && n.ip !== ip)
    .map((n) => `https://${n.ip}:2379`)
    .join(",");
  if (!peers) fail("no etcd endpoints known to the cluster");
  let id;
  waitFor("etcd member add (as learner)", 120, () => {
    const listed = etcdctl(peers, ["member", "list", "-w", "simple"]);
    const mine = listed.split("\n").find((l) => l.includes(`https://${ip}:2380`));
    if (mine) {
      id = mine.split(", ")[0];
      return true;
    }
    const out = etcdctl(peers, ["member", "add", name, `--peer-urls=https://${ip}:2380`, "--learner"]);
    id = /Member ([0-9a-f]+) added/.exec(out)?.[1];
    if (!id) throw new Error(`unexpected member add output: ${out}`);
    return true;
  });
  const initial = etcdctl(peers, ["member", "list", "-w", "simple"])
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const f = l.split(", ");
      return `${f[2] || name}=${f[3]}`;
    });
  etcdManifest(cfg, initial.join(","), "existing");
  runStaticPods();
  waitFor("learner promotion", 120, () => etcdctl(peers, ["member", "promote", id]));
  waitLocalEtcd(ip);
}
function init(cfg) {
  preflight(cfg, true, true);
  const { name, ip } = nodeOf(cfg);
  for (const ca of ["ca", "front-proxy-ca", "etcd/ca"])
    if (!exists(`${PKI}/${ca}.crt`))
      fail(`stub: ${PKI}/${ca}.crt missing (kubeadm would generate a NEW CA here)`);
  etcdCerts(cfg);
  controlPlaneKubeconfigs(cfg);
  kubeconfig(`${K}/kubelet.conf`, `https://${ip}:6443`, `system:node:${name}`); // kubeconfig phase, before wait-control-plane
  etcdManifest(cfg);
  apiServerManifest(cfg);
  kubeletStart(cfg, true);
  fs.rmSync(`${K}/bootstrap-kubelet.conf`, { force: true });
  waitLocalEtcd(ip);
  fs.writeFileSync(`${ENV.CLUSTER_DIR}/api-up`, name);
  registerNode(name, ip, true);
  const tokens = (cfg.InitConfiguration.bootstrapTokens ?? []).map((t) => t.token);
  writeJson(`${API}/tokens.json`, [...readJson(`${API}/tokens.json`, []), ...tokens]);
  log("Your Kubernetes control-plane has initialized successfully!");
}
const JOIN_PHASES = [
  "preflight",
  "control-plane-prepare/download-certs",
  "control-plane-prepare/certs",
  "control-plane-prepare/kubeconfig",
  "control-plane-prepare/control-plane",
  "check-etcd",
  "kubelet-start",
  "etcd-join",
  "kubelet-wait-bootstrap",
  "control-plane-join/etcd",
  "control-plane-join/mark-control-plane",
  "wait-control-plane",
];
function joinPhase(phase, cfg) {
  const cpNode = Boolean(cfg.JoinConfiguration.controlPlane);
  const { name, ip } = nodeOf(cfg);
  const cpOnly = phase.startsWith("control-plane") || phase === "check-etcd" || phase === "etcd-join";
  if (cpOnly && !cpNode) return;
  switch (phase) {
    case "preflight":
      discovery(cfg);
      return preflight(cfg, cpNode, false);
    case "control-plane-prepare/download-certs":
      return;
    case "control-plane-prepare/certs":
      discovery(cfg);
      return etcdCerts(cfg);
    case "control-plane-prepare/kubeconfig":
      return controlPlaneKubeconfigs(cfg);
    case "control-plane-prepare/control-plane":
      return apiServerManifest(cfg);
    case "check-etcd":
      return etcdctl(
        nodes()
          .filter((n) => n.controlPlane && n.ip !== ip)
          .map((n) => `https://${n.ip}:2379`)
          .join(","),
        ["endpoint", "health", "--cluster"],
      );
    case "kubelet-start":
      discovery(cfg);
      return kubeletStart(cfg, cpNode);
    case "etcd-join":
      return etcdJoin(cfg);
    case "kubelet-wait-bootstrap":
      return kubeletWaitBootstrap();
    case "control-plane-join/etcd":
      return; // runs only with ControlPlaneKubeletLocalMode off
    case "control-plane-join/mark-control-plane":
      return registerNode(name, ip, true);
    case "wait-control-plane":
      if (cpNode) waitLocalEtcd(ip);
      else
        registerNode(
          name,
          ip,
          false,
          cfg.JoinConfiguration.nodeRegistration.kubeletExtraArgs?.find((a) => a.name === "node-labels")
            ?.value ?? "",
        );
      return;
    default:
      fail(`unknown phase ${phase}`);
  }
}
function reset() {
  const dataDir = dataDirFromManifest();
  cp.spawnSync("bash", [`${ENV.FAKES_DIR}/stop-pods`]);
  if (dataDir && exists(dataDir))
    for (const e of fs.readdirSync(dataDir))
      fs.rmSync(path.join(dataDir, e), { recursive: true, force: true });
  for (const d of [`${K}/manifests`, PKI, "/var/lib/kubelet"])
    if (exists(d))
      for (const e of fs.readdirSync(d)) fs.rmSync(path.join(d, e), { recursive: true, force: true });
  for (const f of [
    "admin.conf",
    "super-admin.conf",
    "kubelet.conf",
    "bootstrap-kubelet.conf",
    "controller-manager.conf",
    "scheduler.conf",
  ])
    fs.rmSync(`${K}/${f}`, { force: true });
  log("[reset] The reset process does not perform cleanup of CNI plugin configuration");
}
function flag(args, name) {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}
function kubeadm(args) {
  fs.appendFileSync(`${ENV.SANDBOX}/kubeadm.log`, `kubeadm ${args.join(" ")}\n`);
  const cfgFile = flag(args, "--config");
  const valued = ["--config", "--cri-socket", "--skip-phases", "--kubernetes-version"];
  const words = args.filter((a, i) => !a.startsWith("-") && !valued.includes(args[i - 1] ?? ""));
  const cmd = words.join(" ");
  if (cmd === "version")
    return console.log(`v${fs.readFileSync(`${ENV.SANDBOX}/kubernetes-version`, "utf8").trim()}`);
  const byVersion = flag(args, "--kubernetes-version");
  if (cmd === "config images list")
    return console.log(
      images(
        byVersion ? { ClusterConfiguration: { kubernetesVersion: byVersion } } : loadConfig(cfgFile),
      ).join("\n"),
    );
  if (cmd === "config images pull") return pullImages(loadConfig(cfgFile));
  if (cmd === "reset") return reset();
  const cfg = loadConfig(cfgFile);
  if (cmd === "init") return init(cfg);
  if (cmd === "init phase certs etcd-healthcheck-client") return etcdCerts(cfg);
  if (cmd === "init phase certs all") return etcdCerts(cfg);
  if (cmd === "init phase kubeconfig all") {
    controlPlaneKubeconfigs(cfg);
    const { name, ip } = nodeOf(cfg);
    return kubeconfig(`${K}/kubelet.conf`, `https://${ip}:6443`, `system:node:${name}`);
  }
  if (cmd === "init phase control-plane all") return apiServerManifest(cfg);
  if (cmd === "init phase kubelet-start") {
    kubeletStart(cfg, true);
    fs.rmSync(`${K}/bootstrap-kubelet.conf`, { force: true }); // init's kubelet.conf has its own client cert
    return;
  }
  if (cmd === "init phase upload-config kubelet") {
    const { name, ip } = nodeOf(cfg);
    const node = nodes().find((n) => n.name === name) ?? {
      name,
      ip,
      ready: true,
      controlPlane: true,
      labels: {},
    };
    node.annotations = {
      ...(node.annotations ?? {}),
      "kubeadm.alpha.kubernetes.io/cri-socket": nodeOf(cfg).reg.criSocket,
    };
    return writeJson(`${API}/nodes.json`, [...nodes().filter((n) => n.name !== name), node]);
  }
  if (cmd === "init phase mark-control-plane") {
    const { name, ip } = nodeOf(cfg);
    return registerNode(name, ip, true);
  }
  if (cmd === "init phase etcd local") {
    etcdManifest(cfg);
    if (readText(`${ENV.SANDBOX}/units-active`).includes("kubelet.service")) runStaticPods();
    return;
  }
  if (cmd === "join") {
    const skip = [
      ...(flag(args, "--skip-phases")?.split(",") ?? []),
      ...(cfg.JoinConfiguration.skipPhases ?? []),
    ];
    for (const p of JOIN_PHASES) if (!skip.some((s) => p === s || p.startsWith(`${s}/`))) joinPhase(p, cfg);
    return log("This node has joined the cluster");
  }
  const phase = /^join phase (.+)$/.exec(cmd);
  if (phase) {
    const name = phase[1].replace(" ", "/");
    const list = JOIN_PHASES.filter((p) => p === name || p.startsWith(`${name}/`));
    if (!list.length) fail(`unknown command "${phase[1]}" for "kubeadm join phase"`);
    for (const p of list) joinPhase(p, cfg);
    return;
  }
  fail(`kubeadm stub does not model: ${cmd}`);
}

// ---------- kubectl (API objects as files) ----------
function kubectl(args) {
  fs.appendFileSync(`${ENV.SANDBOX}/kubectl.log`, `kubectl ${args.join(" ")}\n`);
  const words = args.filter(
    (a, i) => !a.startsWith("-") && !["--kubeconfig", "-f", "-l", "-o", "-n"].includes(args[i - 1]),
  );
  if (!exists(`${ENV.CLUSTER_DIR}/api-up`)) fail("The connection to the server was refused");
  const objects = readJson(`${API}/objects.json`, []);
  const verb = words[0];
  if (verb === "apply") {
    const file = flag(args, "-f");
    for (const d of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))
      .map((x) => x.toJS())
      .filter(Boolean))
      objects.push(`${d.kind}/${d.metadata?.name}`);
    writeJson(`${API}/objects.json`, objects);
    return console.log(`applied ${file}`);
  }
  if (verb === "wait") return;
  if (verb === "get" && args.includes("--raw")) return console.log("ok");
  if (verb === "get" && words[1] === "nodes") {
    for (const n of nodes().filter((x) => x.controlPlane))
      process.stdout.write(`${n.name}\t${n.ip},\t${n.ready ? "True" : "False"}\n`);
    return;
  }
  if (verb === "get") {
    const kind = words[1].split(".")[0].replace(/s$/, "").toLowerCase();
    if (objects.some((o) => o.toLowerCase() === `${kind}/${words[2]}`)) return console.log(words[2]);
    fail(`Error from server (NotFound): ${words[1]} "${words[2]}" not found`);
  }
  if (verb === "delete" && words[1] === "node") {
    writeJson(
      `${API}/nodes.json`,
      nodes().filter((n) => n.name !== words[2]),
    );
    return console.log(`node "${words[2]}" deleted`);
  }
  fail(`kubectl stub does not model: ${args.join(" ")}`);
}

const [tool, ...rest] = process.argv.slice(2);
if (tool === "kubeadm") kubeadm(rest);
else if (tool === "kubectl") kubectl(rest);
else if (tool === "kube-apiserver") serveApi();
else if (tool === "kubelet") {
  if (rest[0] === "--version")
    console.log(`Kubernetes v${fs.readFileSync(`${ENV.SANDBOX}/kubernetes-version`, "utf8").trim()}`);
  else if (rest[0] === "--run-static-pods") runStaticPods();
  else fail("kubelet stub: the unit's own arguments are not modelled");
}
