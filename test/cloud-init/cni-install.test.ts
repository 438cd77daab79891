/**
 * Runs the real `install_cni` (cloud-init/lib/cni.sh + common.sh) under bash with fake
 * `curl` and `kubectl` that record every call: no cluster and no internet exist here.
 * The fake kubectl keeps a tiny "cluster" on disk (which add-on daemonsets/objects exist)
 * so idempotence is checked against state, not against a flag in the script.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { calicoInstallation } from "../../cloud-init/network-config";
import { renderYaml } from "../../cloud-init/placeholders";
import { CNI_VERSIONS } from "../../config/defaults";

const LIB = path.resolve(__dirname, "../../cloud-init/lib");

const FAKE_CURL = `#!/usr/bin/env bash
# Records the URL and writes a fixture to the -o destination, like curl --fail -o.
set -euo pipefail
out="" url=""
while (($#)); do
  case "$1" in
    -o) out="$2"; shift 2 ;;
    --max-time) shift 2 ;;
    -*) shift ;;
    *) url="$1"; shift ;;
  esac
done
echo "$url" >>"$CALLS_DIR/curl.log"
[[ -z "\${CURL_FAIL:-}" ]] || exit 22
case "$url" in
  *kube-flannel.yml) printf 'kind: ConfigMap\\ndata:\\n  net-conf.json: |\\n    {\\n      "Network": "10.244.0.0/16",\\n      "Backend": {"Type": "vxlan"}\\n    }\\n' >"$out" ;;
  *.tar.gz) cp "$FIXTURES/cilium.tar.gz" "$out" ;;
  *.sha256sum) (cd "$FIXTURES" && sha256sum cilium.tar.gz | sed "s/cilium.tar.gz/\${url##*/}/; s/.sha256sum$//") >"$out" ;;
  *) printf 'kind: List\\n# fixture for %s\\n' "$url" >"$out" ;;
esac
`;

const FAKE_KUBECTL = `#!/usr/bin/env bash
# Records argv; "get" succeeds only for objects a previous "apply" created.
set -euo pipefail
echo "$*" >>"$CALLS_DIR/kubectl.log"
args=" $* "
case "$args" in
  *" get "*)
    case "$args" in
      *installations.operator.tigera.io*) [[ -f "$STATE/calico" ]] ;;
      *kube-flannel-ds*) [[ -f "$STATE/flannel" ]] ;;
      *"daemonset cilium"*) [[ -f "$STATE/cilium" ]] ;;
      *) exit 1 ;;
    esac ;;
  *" apply "*)
    file="\${args##* -f }"; file="\${file%% *}"
    cp "$file" "$CALLS_DIR/applied-$(basename "$file")"
    grep -q 'kind: Installation' "$file" && touch "$STATE/calico"
    grep -q 'net-conf.json' "$file" && touch "$STATE/flannel"
    exit 0 ;;
  *) exit 0 ;;
esac
`;

const FAKE_CILIUM = `#!/usr/bin/env bash
echo "KUBECONFIG=$KUBECONFIG $*" >>"$CALLS_DIR/cilium.log"
touch "$STATE/cilium"
`;

interface Sandbox {
  root: string;
  calls: string;
  run(extraEnv?: Record<string, string>): { status: number | null; stderr: string };
  read(file: string): string;
}

const roots: string[] = [];

function sandbox(provider: string, version: string, podCidr: string): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cni-"));
  roots.push(root);
  const dirs = ["bin", "calls", "state", "fixtures", "work", "usrbin", "k8sha"].map((d) =>
    path.join(root, d),
  );
  for (const d of dirs) fs.mkdirSync(d);
  const [bin, calls, state, fixtures] = dirs;
  fs.writeFileSync(path.join(bin, "curl"), FAKE_CURL, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, "kubectl"), FAKE_KUBECTL, { mode: 0o755 });
  fs.writeFileSync(path.join(fixtures, "cilium"), FAKE_CILIUM, { mode: 0o755 });
  spawnSync("tar", ["-czf", "cilium.tar.gz", "cilium"], { cwd: fixtures });
  const envFile = path.join(root, "node.env");
  let env = `CNI_PROVIDER='${provider}'\nCNI_VERSION='${version}'\nPOD_CIDR='${podCidr}'\n`;
  if (provider === "calico") {
    // What a calico master's user-data writes: the Installation, rendered with the pod CIDR.
    const installation = path.join(root, "k8sha", "calico-installation.yaml");
    fs.writeFileSync(installation, renderYaml(calicoInstallation(podCidr)));
    env += `CALICO_INSTALLATION='${installation}'\n`;
  }
  fs.writeFileSync(envFile, env);
  return {
    root,
    calls,
    run(extraEnv = {}) {
      const r = spawnSync(
        "bash",
        ["-c", `set -euo pipefail; . "${LIB}/common.sh"; . "${LIB}/cni.sh"; install_cni`],
        {
          encoding: "utf8",
          env: {
            PATH: `${bin}:${process.env.PATH}`,
            CALLS_DIR: calls,
            STATE: state,
            FIXTURES: fixtures,
            K8SHA_NODE_ENV: envFile,
            K8SHA_STATE_DIR: path.join(root, "k8sha"),
            K8SHA_CNI_WORK_DIR: path.join(root, "work"),
            K8SHA_CNI_BIN_DIR: path.join(root, "usrbin"),
            K8SHA_ADMIN_KUBECONFIG: "/etc/kubernetes/admin.conf",
            K8SHA_ARCH: "amd64",
            K8SHA_RETRY_MAX: "2",
            K8SHA_RETRY_BASE: "0",
            K8SHA_RETRY_CAP: "0",
            ...extraEnv,
          },
        },
      );
      return { status: r.status, stderr: r.stderr };
    },
    read(file) {
      const p = path.join(calls, file);
      return fs.existsSync(p) ? fs.readFileSync(p, "utf8") : "";
    },
  };
}

afterAll(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

test("calico: pinned operator manifests, Installation with the pod CIDR, VXLAN, no BGP; idempotent", () => {
  const sb = sandbox("calico", CNI_VERSIONS.calico, "10.32.0.0/13");
  const first = sb.run();
  expect(first.stderr).toContain(`installing calico ${CNI_VERSIONS.calico}`);
  expect(first.status).toBe(0);
  const base = `https://raw.githubusercontent.com/projectcalico/calico/v${CNI_VERSIONS.calico}/manifests`;
  expect(sb.read("curl.log").trim().split("\n")).toEqual([
    `${base}/operator-crds.yaml`,
    `${base}/tigera-operator.yaml`,
  ]);
  const kubectl = sb.read("kubectl.log");
  expect(kubectl).toContain("--kubeconfig /etc/kubernetes/admin.conf");
  // No kubectl call may hang the boot: each one carries a request timeout.
  for (const call of kubectl.trim().split("\n")) expect(call).toContain("--request-timeout=60s");
  const applies = kubectl.split("\n").filter((l) => l.includes(" apply "));
  expect(applies.map((l) => path.basename(l.split(" -f ")[1]))).toEqual([
    "operator-crds.yaml",
    "tigera-operator.yaml",
    "calico-installation.yaml",
  ]);
  expect(applies.every((l) => l.includes("--server-side"))).toBe(true);

  const docs = parseAllDocuments(sb.read("applied-calico-installation.yaml")).map((d) => d.toJS());
  expect(docs.map((d) => d.kind)).toEqual(["Installation", "APIServer"]);
  const net = docs[0].spec.calicoNetwork;
  expect(net.bgp).toBe("Disabled");
  expect(net.ipPools).toEqual([
    expect.objectContaining({ cidr: "10.32.0.0/13", encapsulation: "VXLAN", natOutgoing: "Enabled" }),
  ]);

  const second = sb.run();
  expect(second.status).toBe(0);
  expect(second.stderr).toContain("calico is already installed; skipping");
  expect(sb.read("curl.log").trim().split("\n")).toHaveLength(2);
});

test("flannel: pinned kube-flannel.yml with the pod CIDR substituted; idempotent", () => {
  const sb = sandbox("flannel", CNI_VERSIONS.flannel, "172.20.0.0/16");
  expect(sb.run().status).toBe(0);
  expect(sb.read("curl.log").trim()).toBe(
    `https://github.com/flannel-io/flannel/releases/download/v${CNI_VERSIONS.flannel}/kube-flannel.yml`,
  );
  const applied = sb.read("applied-kube-flannel.yml");
  expect(applied).toContain('"Network": "172.20.0.0/16"');
  expect(applied).not.toContain("10.244.0.0/16");
  const again = sb.run();
  expect(again.status).toBe(0);
  expect(sb.read("kubectl.log").match(/ apply /g)).toHaveLength(1);
});

test("cilium: checksummed CLI of the pinned release installs CNI_VERSION with the pod CIDR", () => {
  const sb = sandbox("cilium", CNI_VERSIONS.cilium, "10.100.0.0/16");
  const r = sb.run();
  expect(r.status).toBe(0);
  const base = "https://github.com/cilium/cilium-cli/releases/download/v0.18.7";
  expect(sb.read("curl.log").trim().split("\n")).toEqual([
    `${base}/cilium-linux-amd64.tar.gz`,
    `${base}/cilium-linux-amd64.tar.gz.sha256sum`,
  ]);
  const install = sb.read("cilium.log");
  expect(install).toContain("KUBECONFIG=/etc/kubernetes/admin.conf install");
  expect(install).toContain(`--version ${CNI_VERSIONS.cilium}`);
  expect(install).toContain("ipam.operator.clusterPoolIPv4PodCIDRList={10.100.0.0/16}");
  expect(sb.run().stderr).toContain("cilium is already installed; skipping");
  expect(sb.read("cilium.log").trim().split("\n")).toHaveLength(1);
});

test("cilium: a tarball that does not match its checksum is refused", () => {
  const sb = sandbox("cilium", CNI_VERSIONS.cilium, "10.100.0.0/16");
  const bin = path.join(sb.root, "bin", "curl");
  // Corrupt the served tarball after its checksum file would be computed from the original.
  fs.writeFileSync(
    bin,
    fs.readFileSync(bin, "utf8").replace('cp "$FIXTURES/cilium.tar.gz" "$out"', 'echo corrupt >"$out"'),
  );
  const r = sb.run();
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain("checksum mismatch for cilium-linux-amd64.tar.gz");
  expect(sb.read("cilium.log")).toBe("");
});

test("failures are bounded and named: download errors, bad provider, missing env", () => {
  const sb = sandbox("flannel", CNI_VERSIONS.flannel, "10.244.0.0/16");
  const down = sb.run({ CURL_FAIL: "1" });
  expect(down.status).not.toBe(0);
  expect(down.stderr).toContain("giving up after 2 attempts");
  expect(sb.read("curl.log").trim().split("\n")).toHaveLength(2);

  const bad = sandbox("weave", "2.8.1", "10.244.0.0/16").run();
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toContain("unknown CNI_PROVIDER 'weave'");

  const missing = sb.run({ K8SHA_NODE_ENV: path.join(sb.root, "absent.env") });
  expect(missing.stderr).toContain("node env file");
  expect(missing.status).not.toBe(0);
});
