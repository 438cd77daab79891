// Shared by the kubeadm, kubelet and kubectl stubs of the node sandbox (kube.js): the fake's
// settings, file helpers, kubeadm configuration and images, the etcd client and the API state.

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
  const text = fs.readFileSync(file, "utf8");
  // A template placeholder left unfilled would be a literal value to kubeadm (a node named so).
  const left = /\{\{[A-Z_]+\}\}/.exec(text);
  if (left) fail(`${file}: ${left[0]} was never filled in`);
  const docs = YAML.parseAllDocuments(text).map((d) => d.toJS());
  const byKind = Object.fromEntries(docs.filter(Boolean).map((d) => [d.kind, d]));
  for (const d of docs)
    if (d && d.apiVersion !== "kubeadm.k8s.io/v1beta4") fail(`${file}: unknown apiVersion ${d.apiVersion}`);
  for (const d of docs) if (d?.nodeRegistration) checkCloudProvider(file, d.nodeRegistration);
  return byKind;
}
// A kubelet of the external cloud provider must name its instance in the one form the AWS cloud
// controller parses (cloud-provider-aws pkg/providers/v1/instances.go): the sandbox stands in for
// that controller's refusal here, where the config is read, as kubeadm refuses a bad config.
function checkCloudProvider(file, reg) {
  const arg = (name) => (reg.kubeletExtraArgs ?? []).find((a) => a.name === name)?.value;
  if (arg("cloud-provider") !== "external") return;
  const id = arg("provider-id");
  if (typeof id !== "string" || !/^aws:\/\/\/[a-z0-9-]+\/i-[0-9a-f]+$/.test(id))
    fail(`${file}: kubelet cloud-provider external needs provider-id aws:///<zone>/<instance-id>, got ${id}`);
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

function nodeOf(cfg) {
  const init = cfg.InitConfiguration;
  const join = cfg.JoinConfiguration;
  const reg = (init ?? join)?.nodeRegistration ?? {};
  const ip =
    init?.localAPIEndpoint?.advertiseAddress ?? join?.controlPlane?.localAPIEndpoint?.advertiseAddress;
  return { name: reg.name, ip, reg };
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
  // sandbox: where kubectl finds what the node's kubelet reports (its version, its static pods).
  list.push({ name, ip, ready: true, controlPlane, labels, sandbox: ENV.SANDBOX });
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

module.exports = {
  fs,
  path,
  cp,
  crypto,
  ENV,
  YAML,
  HOST_BIN,
  K,
  PKI,
  API,
  log,
  fail,
  exists,
  sleep,
  readText,
  readJson,
  writeJson,
  host,
  loadConfig,
  kubernetesVersion,
  etcdTag,
  images,
  pullImages,
  nodeOf,
  etcdctl,
  waitFor,
  waitLocalEtcd,
  nodes,
  registerNode,
  spkiHash,
  discovery,
};
