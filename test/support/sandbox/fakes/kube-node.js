// What kubeadm and the kubelet do to the node in the sandbox stubs (kube.js): preflight, certificates,
// kubeconfigs, the etcd and kube-apiserver static pods (phases/etcd/local.go), patches, and the
// kubelet running static pods.

const fs = require("node:fs");
const path = require("node:path");
const cp = require("node:child_process");
const {
  ENV,
  YAML,
  HOST_BIN,
  K,
  PKI,
  API,
  fail,
  exists,
  readText,
  readJson,
  writeJson,
  host,
  kubernetesVersion,
  etcdTag,
  pullImages,
  nodeOf,
} = require("./kube-base.js");
const { externalEtcd, externalPreflight } = require("./kube-external.js");
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
  const ext = controlPlane && isInit ? externalEtcd(cfg) : undefined;
  if (ext) errs.push(...externalPreflight(ext));
  if (exists(`${K}/kubelet.conf`))
    errs.push(`[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: ${K}/kubelet.conf already exists`);
  if (errs.length) fail(`[preflight] Some fatal errors occurred:\n\t${errs.join("\n\t")}`);
  pullImages(cfg);
}

// ---------- certificates ----------
// The SANs of an existing certificate, as openssl prints them ("DNS:x", "IP Address:1.2.3.4").
function sansOf(crt) {
  const out = host("openssl", ["x509", "-in", crt, "-noout", "-ext", "subjectAltName"]);
  return new Set(
    out
      .split("\n")
      .slice(1)
      .join(",")
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean),
  );
}
function cert(name, caBase, cn, sans, clientOnly = false) {
  const crt = `${PKI}/${name}.crt`;
  if (exists(crt)) {
    // kubeadm keeps a certificate that exists when it has every SAN it would give it
    // (phases/certs: validateCertificateWithConfig), and fails otherwise.
    const have = sansOf(crt);
    const missing = sans.filter((x) => !have.has(x.replace(/^IP:/, "IP Address:")));
    if (missing.length) fail(`[certs] certificate ${name} is invalid: it lacks ${missing.join(", ")}`);
    return;
  }
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
// ClusterConfiguration etcd.local.serverCertSANs / peerCertSANs: IPs and DNS names.
const extraSans = (list) => (list ?? []).map((x) => (/^[0-9.]+$/.test(x) ? `IP:${x}` : `DNS:${x}`));
function etcdCerts(cfg) {
  const { name, ip } = nodeOf(cfg);
  // External etcd mode: kubeadm skips every certificate of the etcd CA (apiserver-etcd-client too).
  if (externalEtcd(cfg))
    return cert("apiserver", `${PKI}/ca`, "kube-apiserver", [`IP:${ip}`, "DNS:kubernetes"]);
  if (!exists(`${PKI}/etcd/ca.crt`)) fail(`${PKI}/etcd/ca.crt: no etcd CA`);
  const local = cfg.ClusterConfiguration?.etcd?.local ?? readJson(`${API}/cluster.json`, {}).etcdLocal ?? {};
  const sans = [`DNS:${name}`, "DNS:localhost", "IP:127.0.0.1", "IP:0:0:0:0:0:0:0:1", `IP:${ip}`];
  cert("etcd/server", `${PKI}/etcd/ca`, name, [...sans, ...extraSans(local.serverCertSANs)]);
  cert("etcd/peer", `${PKI}/etcd/ca`, name, [...sans, ...extraSans(local.peerCertSANs)]);
  cert("etcd/healthcheck-client", `${PKI}/etcd/ca`, "kube-etcd-healthcheck-client", [], true);
  cert("apiserver-etcd-client", `${PKI}/etcd/ca`, "kube-apiserver-etcd-client", [], true);
  cert("apiserver", `${PKI}/ca`, "kube-apiserver", [`IP:${ip}`, "DNS:kubernetes"]);
}

// The kube-apiserver static pod, as far as the boot sees it: /readyz on <advertise address>:6443,
// ready while its etcd (the local member) is healthy, which needs etcd quorum.
function apiServerManifest(cfg) {
  const { ip } = nodeOf(cfg);
  const ext = externalEtcd(cfg);
  // phases/controlplane/manifests.go getAPIServerCommand: the local member, or etcd.external's.
  const etcdFlags = [
    `--etcd-servers=${ext ? ext.endpoints.join(",") : "https://127.0.0.1:2379"}`,
    `--etcd-cafile=${ext ? ext.caFile : `${PKI}/etcd/ca.crt`}`,
    `--etcd-certfile=${ext ? ext.certFile : `${PKI}/apiserver-etcd-client.crt`}`,
    `--etcd-keyfile=${ext ? ext.keyFile : `${PKI}/apiserver-etcd-client.key`}`,
  ];
  fs.mkdirSync(`${K}/manifests`, { recursive: true });
  fs.writeFileSync(
    `${K}/manifests/kube-apiserver.yaml`,
    YAML.stringify({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "kube-apiserver",
        namespace: "kube-system",
        labels: { component: "kube-apiserver", tier: "control-plane" },
        annotations: { "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": `${ip}:6443` },
      },
      spec: {
        containers: [
          {
            name: "kube-apiserver",
            command: ["kube-apiserver", `--advertise-address=${ip}`, ...etcdFlags],
          },
        ],
      },
    }),
  );
  // The control-plane phase writes these two as well; nothing here runs them (see kube-upgrade.js).
  for (const c of ["kube-controller-manager", "kube-scheduler"]) {
    const meta = { name: c, namespace: "kube-system", labels: { component: c, tier: "control-plane" } };
    const spec = { containers: [{ name: c, command: [c, `--kubeconfig=${K}/${c.slice(5)}.conf`] }] };
    fs.writeFileSync(
      `${K}/manifests/${c}.yaml`,
      YAML.stringify({ apiVersion: "v1", kind: "Pod", metadata: meta, spec }),
    );
  }
}
// Ready while its etcd serves: the local member's health (stacked), or a quorum read through the
// external endpoints (the API server's etcd client fails over between them), with the manifest's
// own --etcd-* files.
function serveApi() {
  const https = require("node:https");
  const pod = YAML.parse(fs.readFileSync(`${K}/manifests/kube-apiserver.yaml`, "utf8"));
  const flag = (n) =>
    pod.spec.containers[0].command.find((c) => c.startsWith(`--${n}=`))?.slice(n.length + 3) ?? "";
  // Every node shares this machine's 127.0.0.1; a node's own loopback is its address here.
  const servers = flag("etcd-servers").replaceAll("127.0.0.1", ENV.NODE_IP);
  const check = servers.includes(",") ? ["get", "health"] : ["endpoint", "health"];
  const server = https.createServer(
    { cert: fs.readFileSync(`${PKI}/apiserver.crt`), key: fs.readFileSync(`${PKI}/apiserver.key`) },
    (req, res) => {
      if (!req.url.startsWith("/readyz")) return res.writeHead(404).end();
      cp.execFile(
        path.join(HOST_BIN, "etcdctl"),
        [
          `--endpoints=${servers}`,
          `--cacert=${flag("etcd-cafile")}`,
          `--cert=${flag("etcd-certfile")}`,
          `--key=${flag("etcd-keyfile")}`,
          "--dial-timeout=2s",
          "--command-timeout=2s",
          ...check,
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
// As kubeadm's kubeconfig phase: admin, super-admin, controller-manager and scheduler embed the
// user's client certificate, signed by the cluster CA (the health timer reads its expiry); the
// kubelet's files carry a bootstrap token or, once bootstrapped, point at the kubelet's own rotated
// certificate (not modelled). The certificates are made outside pki/, which holds what kubeadm keeps.
function kubeconfig(file, server, user) {
  let credentials = {};
  if (!user.startsWith("system:node:") && user !== "tls-bootstrap-token-user") {
    const name = `../kubeconfig-certs/${path.basename(file, ".conf")}`;
    fs.mkdirSync(`${PKI}/../kubeconfig-certs`, { recursive: true });
    cert(name, `${PKI}/ca`, user, [], true);
    const data = (ext) => fs.readFileSync(`${PKI}/${name}.${ext}`).toString("base64");
    credentials = { user: { "client-certificate-data": data("crt"), "client-key-data": data("key") } };
  }
  fs.writeFileSync(
    file,
    YAML.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "kubernetes", cluster: { server } }],
      users: [{ name: user, ...credentials }],
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
  // phases/init/etcd.go: "External etcd mode. Skipping the creation of a manifest for local etcd".
  if (externalEtcd(cfg)) return;
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
    metadata: {
      name: "etcd",
      namespace: "kube-system",
      labels: { component: "etcd", tier: "control-plane" },
    },
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
}
// init's upload-config phase: the ClusterConfiguration into the kubeadm-config ConfigMap, which
// `kubeadm join` reads back. Only `kubeadm init` uploads it; no `init phase` run offline does.
function uploadConfig(cfg) {
  writeJson(`${API}/cluster.json`, {
    clusterConfiguration: cfg.ClusterConfiguration, // the kubeadm-config ConfigMap (kube-upgrade.js)
    etcdLocal: cfg.ClusterConfiguration?.etcd?.local ?? {},
    controlPlaneEndpoint: cfg.ClusterConfiguration?.controlPlaneEndpoint,
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
    const args = pod.spec.containers[0].command.slice(1).map((a) => a.replaceAll("127.0.0.1", ENV.NODE_IP));
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
    const child = cp.spawn(process.execPath, [path.join(__dirname, "kube.js"), "kube-apiserver"], {
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
  // Client certificate rotation: with credentials and an API, the kubelet writes its rotated pair.
  if (exists(`${K}/kubelet.conf`) && exists(`${ENV.CLUSTER_DIR}/api-up`)) {
    fs.mkdirSync("/var/lib/kubelet/pki", { recursive: true });
    fs.writeFileSync("/var/lib/kubelet/pki/kubelet-client-current.pem", "-----BEGIN CERTIFICATE-----\n");
  }
}
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

module.exports = {
  uploadConfig,
  preflight,
  cert,
  etcdCerts,
  apiServerManifest,
  serveApi,
  kubeconfig,
  controlPlaneKubeconfigs,
  etcdManifest,
  applyPatches,
  strategicMerge,
  dataDirFromManifest,
  runStaticPods,
  alive,
};
