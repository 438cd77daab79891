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
const {
  ENV,
  YAML,
  K,
  PKI,
  API,
  log,
  fail,
  exists,
  readText,
  readJson,
  writeJson,
  loadConfig,
  images,
  pullImages,
  nodeOf,
  etcdctl,
  waitFor,
  waitLocalEtcd,
  nodes,
  registerNode,
  discovery,
} = require("./kube-base.js");
const {
  preflight,
  etcdCerts,
  apiServerManifest,
  serveApi,
  kubeconfig,
  controlPlaneKubeconfigs,
  etcdManifest,
  uploadConfig,
  dataDirFromManifest,
  runStaticPods,
} = require("./kube-node.js");
const { kubectlApi, kubeletStarted, kubeadmUpgrade } = require("./kube-upgrade.js");
const { externalEtcd, waitExternalEtcd, kubectlLease } = require("./kube-external.js");

// ---------- kubeadm ----------
// The flags kubeadm hands the kubelet (phases/kubelet/flags.go WriteKubeletDynamicEnvFile): the
// runtime endpoint and every kubeletExtraArgs entry, sorted by name as ArgumentsToCommand does.
function kubeletFlags(cfg) {
  const reg = (cfg.InitConfiguration ?? cfg.JoinConfiguration).nodeRegistration;
  const args = [
    { name: "container-runtime-endpoint", value: reg.criSocket },
    ...(reg.kubeletExtraArgs ?? []),
  ];
  const flags = args.sort((a, b) => a.name.localeCompare(b.name)).map((a) => `--${a.name}=${a.value}`);
  fs.writeFileSync("/var/lib/kubelet/kubeadm-flags.env", `KUBELET_KUBEADM_ARGS="${flags.join(" ")}"\n`);
}
function kubeletStart(cfg, controlPlane) {
  fs.mkdirSync("/var/lib/kubelet", { recursive: true });
  fs.writeFileSync(
    "/var/lib/kubelet/config.yaml",
    "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n",
  );
  kubeletFlags(cfg);
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
    id = /Member +([0-9a-f]+) added/.exec(out)?.[1]; // "Member %16x added": space-padded
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
  const ext = externalEtcd(cfg);
  for (const ca of ext ? ["ca", "front-proxy-ca"] : ["ca", "front-proxy-ca", "etcd/ca"])
    if (!exists(`${PKI}/${ca}.crt`))
      fail(`stub: ${PKI}/${ca}.crt missing (kubeadm would generate a NEW CA here)`);
  etcdCerts(cfg);
  controlPlaneKubeconfigs(cfg);
  kubeconfig(`${K}/kubelet.conf`, `https://${ip}:6443`, `system:node:${name}`); // kubeconfig phase, before wait-control-plane
  etcdManifest(cfg);
  apiServerManifest(cfg);
  uploadConfig(cfg);
  kubeletStart(cfg, true);
  fs.rmSync(`${K}/bootstrap-kubelet.conf`, { force: true });
  // Fault injection for tests (SANDBOX_INIT_CONTROL_PLANE_TIMEOUTS=N in the boot's environment): the
  // first N inits of this node fail in wait-control-plane, as kubeadm's does when the API server is
  // not healthy within its 4 minutes; what it wrote until then (kubeconfigs, manifests) stays.
  const injected = Number(process.env.SANDBOX_INIT_CONTROL_PLANE_TIMEOUTS ?? "0");
  if (injected > 0) {
    const timeouts = `${ENV.SANDBOX}/init-control-plane-timeouts`;
    const runs = Number(readText(timeouts) || "0") + 1;
    fs.writeFileSync(timeouts, String(runs));
    if (runs <= injected)
      fail("[wait-control-plane] the control plane did not become healthy: context deadline exceeded");
  }
  if (ext) waitExternalEtcd(ext);
  else waitLocalEtcd(ip);
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
  // reset stops the kubelet and removes the node's containers (its static pods), nothing else:
  // not the systemd unit that runs it (stop-pods, an instance stop, would end the boot itself).
  const pods = `${ENV.SANDBOX}/pods`;
  for (const f of exists(pods) ? fs.readdirSync(pods).filter((x) => x.endsWith(".pid")) : []) {
    try {
      process.kill(Number(fs.readFileSync(path.join(pods, f), "utf8")), "SIGKILL");
    } catch {
      // already gone
    }
    fs.rmSync(path.join(pods, f), { force: true });
  }
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
  const valued = ["--config", "--cri-socket", "--skip-phases", "--kubernetes-version", "--patches"];
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
  if (words[0] === "upgrade") return kubeadmUpgrade(args, words);
  const cfg = loadConfig(cfgFile);
  if (cmd === "init") return init(cfg);
  // The etcd certificates are made together here (the real phases make one each, same SANs).
  const etcdCertPhase = /^init phase certs (etcd-healthcheck-client|etcd-peer)$/.exec(cmd);
  if (etcdCertPhase && externalEtcd(cfg))
    return log(`[certs] External etcd mode: Skipping ${etcdCertPhase[1]} certificate generation`);
  if (etcdCertPhase) return etcdCerts(cfg);
  if (cmd === "init phase certs all") return etcdCerts(cfg);
  const kubeconfigPhase =
    /^init phase kubeconfig (admin|super-admin|kubelet|controller-manager|scheduler)$/.exec(cmd);
  if (kubeconfigPhase) {
    const { name, ip } = nodeOf(cfg);
    const endpoint = cfg.ClusterConfiguration?.controlPlaneEndpoint;
    const which = kubeconfigPhase[1];
    if (which === "kubelet")
      return kubeconfig(`${K}/kubelet.conf`, `https://${ip}:6443`, `system:node:${name}`);
    if (which === "admin" || which === "super-admin")
      return kubeconfig(`${K}/${which}.conf`, `https://${endpoint}`, `kubernetes-${which}`);
    return kubeconfig(`${K}/${which}.conf`, `https://${ip}:6443`, `system:kube-${which}`);
  }
  if (cmd === "init phase control-plane all") return apiServerManifest(cfg);
  if (cmd === "init phase kubelet-start") {
    kubeletStart(cfg, true);
    fs.rmSync(`${K}/bootstrap-kubelet.conf`, { force: true }); // init's kubelet.conf has its own client cert
    return;
  }
  if (cmd === "init phase kubelet-finalize enable-client-cert-rotation") {
    // phases/init/kubeletfinalize.go: exits early when the kubelet has not rotated yet.
    const pem = "/var/lib/kubelet/pki/kubelet-client-current.pem";
    if (!exists(pem)) return;
    const conf = YAML.parse(fs.readFileSync(`${K}/kubelet.conf`, "utf8"));
    conf.users = [{ name: "default-auth", user: { "client-certificate": pem, "client-key": pem } }];
    return fs.writeFileSync(`${K}/kubelet.conf`, YAML.stringify(conf));
  }
  if (cmd === "init phase mark-control-plane") {
    const { name, ip } = nodeOf(cfg);
    return registerNode(name, ip, true);
  }
  if (cmd === "init phase etcd local") {
    if (externalEtcd(cfg))
      return log("[etcd] External etcd mode. Skipping the creation of a manifest for local etcd");
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
  if (kubectlLease(args, words, flag)) return;
  if (kubectlApi(args, words)) return;
  if (verb === "get") {
    const kind = words[1].split(".")[0].replace(/s$/, "").toLowerCase();
    if (objects.some((o) => o.toLowerCase() === `${kind}/${words[2]}`)) return console.log(words[2]);
    fail(`Error from server (NotFound): ${words[1]} "${words[2]}" not found`);
  }
  if (verb === "annotate" && words[1] === "node") {
    const list = nodes();
    const node = list.find((n) => n.name === words[2]);
    if (!node) fail(`Error from server (NotFound): nodes "${words[2]}" not found`);
    for (const kv of words.slice(3)) {
      const [k, v] = kv.split("=");
      node.annotations = { ...(node.annotations ?? {}), [k]: v };
    }
    writeJson(`${API}/nodes.json`, list);
    return console.log(`node/${words[2]} annotated`);
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
  else if (rest[0] === "--run-static-pods") {
    kubeletStarted();
    runStaticPods();
  } else fail("kubelet stub: the unit's own arguments are not modelled");
}
