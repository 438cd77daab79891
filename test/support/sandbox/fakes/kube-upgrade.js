// What the control-plane operations (k8sha-control-plane: preflight, versions, drain, upgrade)
// meet in the sandbox stubs (kube.js): the API objects kubectl shows, cordon/uncordon/drain, and
// `kubeadm upgrade apply|node`.
//   - Objects are real-shaped v1 JSON rendered for `-o jsonpath=` by the host's REAL kubectl
//     printer (`kubectl label --local` prints item by item, so a list template must be one
//     `{range .items[*]}...{end}`): a template kubectl would reject fails here too.
//   - A Node reports the kubelet version its kubelet was started with (apt-get replaces the
//     binary; the running kubelet keeps its version until it is restarted).
//   - Mirror pods are the static pod manifests of each control-plane node, with their labels (the
//     kubelet copies them); Ready while the pod's process lives (etcd, kube-apiserver) or, for the
//     controller-manager and scheduler (no process here), while their node's kube-apiserver does.
//   - kubeadm upgrade follows cmd/kubeadm/app/cmd/upgrade/{apply,node}.go, phases/upgrade/policy.go
//     (EnforceVersionPolicies) and staticpods.go: per component, a new manifest equal to the
//     current one is skipped; a changed one replaces it and the kubelet restarts the pod on the same
//     data (rolled back when no kubelet runs to do it); apply stores the new kubernetesVersion.

const fs = require("node:fs");
const path = require("node:path");
const {
  ENV,
  YAML,
  K,
  API,
  log,
  fail,
  exists,
  sleep,
  readText,
  readJson,
  writeJson,
  host,
} = require("./kube-base.js");
const { nodes, pullImages, waitLocalEtcd } = require("./kube-base.js");
const { etcdManifest, apiServerManifest, runStaticPods, alive } = require("./kube-node.js");

const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];
function option(args, name) {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

// ---------- API objects ----------
function kubeletVersion(n) {
  const dir = n.sandbox;
  const v = dir
    ? readText(`${dir}/kubelet-version`).trim() || readText(`${dir}/kubernetes-version`).trim()
    : "";
  return v ? `v${v}` : "";
}
function nodeObject(n) {
  const labels =
    typeof n.labels === "string" // a worker's --node-labels value, k=v,k=v
      ? Object.fromEntries(
          n.labels
            .split(",")
            .filter(Boolean)
            .map((kv) => kv.split("=")),
        )
      : { ...(n.labels ?? {}) };
  labels["kubernetes.io/hostname"] = n.name;
  if (n.controlPlane) labels["node-role.kubernetes.io/control-plane"] = "";
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: n.name, labels, annotations: n.annotations ?? {} },
    spec: n.unschedulable ? { unschedulable: true } : {},
    status: {
      addresses: [
        { type: "InternalIP", address: n.ip },
        { type: "Hostname", address: n.name },
      ],
      conditions: [{ type: "Ready", status: n.ready === false ? "False" : "True" }],
      nodeInfo: { kubeletVersion: kubeletVersion(n) },
    },
  };
}
function podAlive(n, component) {
  const file = path.join(n.sandbox, "pods", `${component}.pid`);
  return exists(file) && alive(Number(fs.readFileSync(file, "utf8")));
}
// The node sandbox keeps a node's files under <sandbox>/root (test/support/sandbox/node.ts).
function mirrorPods() {
  const pods = [];
  for (const n of nodes().filter((x) => x.controlPlane && x.sandbox)) {
    for (const c of COMPONENTS) {
      const file = path.join(n.sandbox, "root", K, "manifests", `${c}.yaml`);
      if (!exists(file)) continue;
      const pod = YAML.parse(fs.readFileSync(file, "utf8"));
      const running = c === "etcd" || c === "kube-apiserver" ? podAlive(n, c) : podAlive(n, "kube-apiserver");
      pods.push({
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: `${pod.metadata.name}-${n.name}`,
          namespace: "kube-system",
          labels: pod.metadata.labels ?? {},
        },
        spec: { nodeName: n.name },
        status: { conditions: [{ type: "Ready", status: running ? "True" : "False" }] },
      });
    }
  }
  return pods;
}
function kubeadmConfigMap() {
  const cc = readJson(`${API}/cluster.json`, {}).clusterConfiguration;
  if (!cc) return undefined;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "kubeadm-config", namespace: "kube-system" },
    data: { ClusterConfiguration: YAML.stringify(cc) },
  };
}
// -l: the equality and existence selectors (k, !k, k=v, k==v, k!=v).
function selects(selector, labels) {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const m = /^(!?)([\w./-]+)(?:(==|=|!=)([\w.-]*))?$/.exec(term);
    if (!m || (m[1] && m[3])) fail(`kubectl stub models only equality and existence selectors: ${term}`);
    if (!m[3]) return m[2] in labels !== Boolean(m[1]);
    return m[3] === "!=" ? labels[m[2]] !== m[4] : labels[m[2]] === m[4];
  });
}
function print(objects, single, output) {
  if (output === "json")
    return console.log(
      JSON.stringify(single ? objects[0] : { apiVersion: "v1", kind: "List", items: objects }),
    );
  if (output === "name")
    return console.log(objects.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`).join("\n"));
  let template = /^jsonpath=([\s\S]*)$/.exec(output ?? "")?.[1];
  if (template === undefined) fail(`kubectl stub models only -o jsonpath=..., json and name, not: ${output}`);
  if (!single) {
    template = /^\{range \.items\[\*\]\}([\s\S]*)\{end\}$/.exec(template)?.[1];
    if (template === undefined)
      fail(`kubectl stub renders list templates of one {range .items[*]}...{end}: ${output}`);
  }
  const list = JSON.stringify({ apiVersion: "v1", kind: "List", items: objects });
  const args = ["--kubeconfig", "/dev/null", "label", "--local", "-f", "-", "k8sha-stub=render"];
  process.stdout.write(
    host("kubectl", [...args, "-o", `jsonpath=${template}`], {
      input: list,
      stdio: ["pipe", "pipe", "pipe"],
    }),
  );
}
function get(args, kind, name, all) {
  const objects = all.filter(
    (o) => (!name || o.metadata.name === name) && selects(option(args, "-l"), o.metadata.labels ?? {}),
  );
  if (name && !objects.length) fail(`Error from server (NotFound): ${kind} "${name}" not found`);
  print(objects, Boolean(name), option(args, "-o"));
}

// ---------- cordon, uncordon, drain ----------
function setUnschedulable(name, value) {
  const list = nodes();
  const node = list.find((n) => n.name === name);
  if (!node) fail(`Error from server (NotFound): nodes "${name}" not found`);
  const already = Boolean(node.unschedulable) === value;
  node.unschedulable = value;
  writeJson(`${API}/nodes.json`, list);
  console.log(`node/${name} ${already ? "already " : ""}${value ? "cordoned" : "uncordoned"}`);
}
function drain(args, name) {
  const timeout = option(args, "--timeout");
  if (timeout !== undefined && !/^(0|(\d+(\.\d+)?(ns|us|ms|s|m|h))+)$/.test(timeout))
    fail(`invalid argument "${timeout}" for "--timeout" flag: time: missing unit in duration "${timeout}"`);
  setUnschedulable(name, true);
  // Every node runs kube-proxy's DaemonSet pod (a kubeadm addon): drain never evicts it.
  const daemonSetPod = `kube-system/kube-proxy-${name}`;
  if (!args.some((a) => a === "--ignore-daemonsets" || a === "--ignore-daemonsets=true"))
    fail(
      `unable to drain node "${name}" due to error: cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${daemonSetPod}`,
    );
  log(`Warning: ignoring DaemonSet-managed Pods: ${daemonSetPod}`);
  console.log(`node/${name} drained`);
}

// kubectl ARGS (WORDS: its non-flag words): true when modelled here.
function kubectlApi(args, words) {
  const [verb, kind, name] = words;
  if (verb === "get" && /^(nodes?|no)$/.test(kind))
    return get(args, "nodes", name, nodes().map(nodeObject)) ?? true;
  if (verb === "get" && /^(pods?|po)$/.test(kind))
    return get(args, "pods", name, option(args, "-n") === "kube-system" ? mirrorPods() : []) ?? true;
  if (verb === "get" && /^(cm|configmaps?)$/.test(kind) && option(args, "-n") === "kube-system") {
    const cm = kubeadmConfigMap();
    return get(args, "configmaps", name, cm ? [cm] : []) ?? true;
  }
  // cordon, uncordon and drain name the node right after the verb.
  if (verb === "cordon" || verb === "uncordon") return setUnschedulable(kind, verb === "cordon") ?? true;
  if (verb === "drain") return drain(args, kind) ?? true;
  return false;
}

// ---------- kubelet ----------
function kubeletStarted() {
  const v = readText(`${ENV.SANDBOX}/kubernetes-version`).trim();
  if (v) fs.writeFileSync(`${ENV.SANDBOX}/kubelet-version`, `${v}\n`);
}

// ---------- kubeadm upgrade ----------
function version(text) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text ?? "");
  return m ? { text: `v${m[1]}.${m[2]}.${m[3]}`, minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}
const older = (a, b) => a.minor < b.minor || (a.minor === b.minor && a.patch < b.patch);
function enforceVersionPolicies(target, cluster, kubeadm, force) {
  log(
    `[upgrade/versions] Cluster version: ${cluster.text}\n[upgrade/versions] kubeadm version: ${kubeadm.text}`,
  );
  const mandatory = [];
  const skippable = [];
  if (target.minor > cluster.minor + 1)
    mandatory.push(
      `Specified version to upgrade to "${target.text}" is too high; kubeadm can upgrade only 1 minor version at a time`,
    );
  if (target.minor < cluster.minor - 1)
    mandatory.push(
      `Specified version to downgrade to "${target.text}" is too low; kubeadm can downgrade only 1 minor version at a time`,
    );
  if (older(kubeadm, target) && target.minor > kubeadm.minor)
    mandatory.push(
      `Specified version to upgrade to "${target.text}" is at least one minor release higher than the kubeadm minor release (${target.minor} > ${kubeadm.minor}). Such an upgrade is not supported`,
    );
  else if (older(kubeadm, target))
    skippable.push(
      `Specified version to upgrade to "${target.text}" is higher than the kubeadm version "${kubeadm.text}". Upgrade kubeadm first using the tool you used to install kubeadm`,
    );
  if (kubeadm.minor > target.minor)
    skippable.push(
      `Kubeadm version ${kubeadm.text} can only be used to upgrade to Kubernetes version 1.${kubeadm.minor}`,
    );
  const list = (errs) => errs.map((e) => `\t- ${e}`).join("\n");
  if (mandatory.length)
    fail(
      `[upgrade/version] FATAL: the --version argument is invalid due to these fatal errors:\n\n${list(mandatory)}\nPlease fix the misalignments highlighted above and try upgrading again`,
    );
  if (skippable.length && !force)
    fail(
      `[upgrade/version] FATAL: the --version argument is invalid due to these errors:\n\n${list(skippable)}\nCan be bypassed if you pass the --force flag`,
    );
}
// This node: kubeadm takes its API endpoint from the kube-apiserver pod's advertise-address
// annotation; its name is the Node at that address (the stub's kubelet.conf has no client cert).
function localNode() {
  const api = YAML.parse(readText(`${K}/manifests/kube-apiserver.yaml`) || "{}");
  const endpoint =
    api?.metadata?.annotations?.["kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"];
  if (!endpoint)
    fail(`failed to get the API endpoint of this node: no kube-apiserver manifest in ${K}/manifests`);
  const ip = endpoint.replace(/:\d+$/, "");
  const node = nodes().find((n) => n.ip === ip);
  if (!node) fail(`nodes with InternalIP ${ip} not found`);
  return { name: node.name, ip };
}
function stopPod(component) {
  const file = `${ENV.SANDBOX}/pods/${component}.pid`;
  if (!exists(file)) return;
  const pid = Number(fs.readFileSync(file, "utf8"));
  if (alive(pid)) process.kill(pid, "SIGTERM"); // the kubelet stops a container with SIGTERM
  for (let i = 0; i < 100 && alive(pid); i++) sleep(100);
  fs.rmSync(file, { force: true });
}
function upgradeComponent(component, write, ready) {
  const file = `${K}/manifests/${component}.yaml`;
  const before = readText(file);
  write();
  if (readText(file) === before)
    return log(`[upgrade/staticpods] Current and new manifests of ${component} are equal, skipping upgrade`);
  if (!readText(`${ENV.SANDBOX}/units-active`).includes("kubelet.service")) {
    fs.writeFileSync(file, before);
    fail(
      `[upgrade/apply] FATAL: couldn't upgrade control plane. kubeadm has tried to recover everything into the earlier state. Errors faced: static Pod hash for component ${component} did not change after 5m0s: timed out waiting for the condition`,
    );
  }
  log(
    `[upgrade/staticpods] Moved new manifest to "${file}"; waiting for the kubelet to restart the component`,
  );
  stopPod(component);
  runStaticPods();
  if (ready) ready();
}
function staticPodUpgrade(cc, patches) {
  const { name, ip } = localNode();
  const cfg = {
    ClusterConfiguration: cc,
    InitConfiguration: {
      localAPIEndpoint: { advertiseAddress: ip },
      nodeRegistration: { name },
      ...(patches ? { patches: { directory: patches } } : {}),
    },
  };
  pullImages(cfg);
  upgradeComponent(
    "etcd",
    () => etcdManifest(cfg),
    () => waitLocalEtcd(ip),
  );
  upgradeComponent("kube-apiserver", () => apiServerManifest(cfg));
}
// kubeadm upgrade ARGS (WORDS: its non-flag words, "upgrade" first).
function kubeadmUpgrade(args, words) {
  if (!exists(`${ENV.CLUSTER_DIR}/api-up`))
    fail(
      'unable to fetch the kubeadm-config ConfigMap: Get "https://.../api/v1/namespaces/kube-system/configmaps/kubeadm-config": connection refused',
    );
  const stored = readJson(`${API}/cluster.json`, {});
  const cc = stored.clusterConfiguration;
  if (!cc) fail('unable to fetch the kubeadm-config ConfigMap: configmaps "kubeadm-config" not found');
  const patches = option(args, "--patches");
  if (words[1] === "apply") {
    const target = version(words[2]);
    if (!target) fail(`[upgrade/version] FATAL: unable to parse version "${words[2] ?? ""}"`);
    if (!args.some((a) => ["--yes", "-y", "--force", "-f"].includes(a)))
      fail(
        "[upgrade] Are you sure you want to proceed? [y/N]: won't proceed; the user didn't answer (Y|n) in order to continue",
      );
    const kubeadm = version(readText(`${ENV.SANDBOX}/kubernetes-version`).trim());
    if (!kubeadm) fail("unable to get the kubeadm version");
    enforceVersionPolicies(target, version(cc.kubernetesVersion), kubeadm, args.includes("--force"));
    staticPodUpgrade({ ...cc, kubernetesVersion: target.text }, patches);
    writeJson(`${API}/cluster.json`, {
      ...stored,
      clusterConfiguration: { ...cc, kubernetesVersion: target.text },
    });
    return console.log(`[upgrade/successful] SUCCESS! Your cluster was upgraded to "${target.text}". Enjoy!`);
  }
  if (words[1] === "node" && words.length === 2) {
    staticPodUpgrade(cc, patches);
    return console.log("[upgrade] The control plane instance for this node was successfully upgraded!");
  }
  fail(`kubeadm stub does not model: ${words.join(" ")}`);
}

module.exports = { kubectlApi, kubeletStarted, kubeadmUpgrade };
