/**
 * kubeadm configuration: the ClusterConfiguration rendered in TypeScript and the node-specific
 * Init/JoinConfiguration written by lib/kubeadm.sh at boot (run for real in bash, parsed here).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { renderKubeadmClusterConfig } from "../../cloud-init/kubeadm-config";
import { masterConfig } from "./render-fixtures";

type Obj = Record<string, unknown>;
const LIB = join(__dirname, "../../cloud-init/lib");
const dir = mkdtempSync(join(tmpdir(), "k8sha-kubeadm-"));
const clusterFile = join(dir, "cluster.yaml");
writeFileSync(clusterFile, renderKubeadmClusterConfig(masterConfig(0, false)));

/** Run a kubeadm.sh function in bash with the given env; returns the parsed documents it wrote. */
function runKubeadmSh(call: string, env: Record<string, string> = {}): Obj[] {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}.yaml`);
  execFileSync(
    "bash",
    ["-c", `set -euo pipefail; . "${LIB}/common.sh"; . "${LIB}/kubeadm.sh"; ${call.replace("OUT", out)}`],
    {
      env: {
        ...process.env,
        K8SHA_STATE_DIR: dir,
        KUBEADM_CLUSTER_CONFIG: clusterFile,
        API_ENDPOINT: "lb.example",
        API_PORT: "6443",
        ...env,
      },
    },
  );
  return parseAllDocuments(readFileSync(out, "utf8")).map((d) => d.toJS() as Obj);
}

const TOKEN = "abcdef.0123456789abcdef";
const HASH = `sha256:${"ab".repeat(32)}`;

describe("ClusterConfiguration (v1beta4)", () => {
  const cfg = parse(renderKubeadmClusterConfig(masterConfig(0, false))) as Obj;

  it("targets the LB, the stack's networks and the etcd volume", () => {
    expect(cfg.apiVersion).toBe("kubeadm.k8s.io/v1beta4");
    expect(cfg.kind).toBe("ClusterConfiguration");
    expect(cfg.kubernetesVersion).toBe("v1.34.2");
    expect(cfg.controlPlaneEndpoint).toBe("prod-api-0a1b2c3d4e5f6789.elb.eu-west-1.amazonaws.com:6443");
    expect(cfg.networking).toEqual({ podSubnet: "10.244.0.0/16", serviceSubnet: "10.96.0.0/12" });
    expect((cfg.apiServer as Obj).certSANs).toEqual([
      "prod-api-0a1b2c3d4e5f6789.elb.eu-west-1.amazonaws.com",
      "api.prod.example.com",
    ]);
  });

  it("sets leader election 15s/10s/2s on controller-manager and scheduler as {name, value} lists", () => {
    const expected = [
      { name: "leader-elect", value: "true" },
      { name: "leader-elect-lease-duration", value: "15s" },
      { name: "leader-elect-renew-deadline", value: "10s" },
      { name: "leader-elect-retry-period", value: "2s" },
    ];
    expect((cfg.controllerManager as Obj).extraArgs).toEqual(expected);
    expect((cfg.scheduler as Obj).extraArgs).toEqual(expected);
  });

  it("puts etcd data on the volume with the configured timings and quota", () => {
    const local = (cfg.etcd as Obj).local as Obj;
    expect(local.dataDir).toBe("/var/lib/etcd-volume/data");
    expect(local.extraArgs).toEqual([
      { name: "heartbeat-interval", value: "250" },
      { name: "election-timeout", value: "2500" },
      { name: "quota-backend-bytes", value: String(4 * 1024 ** 3) },
      { name: "pre-vote", value: "true" },
    ]);
  });

  it("turns on the kubelet local mode gate only where it is not on by default (< 1.33)", () => {
    expect(cfg.featureGates).toBeUndefined();
    const old = parse(
      renderKubeadmClusterConfig({ ...masterConfig(0, false), kubernetesVersion: "1.32.9" }),
    ) as Obj;
    expect(old.featureGates).toEqual({ ControlPlaneKubeletLocalMode: true });
  });
});

describe("lib/kubeadm.sh", () => {
  it("write_init_config: token (ttl 0s), advertise address, node name, then the ClusterConfiguration", () => {
    const [init, cluster] = runKubeadmSh(
      `write_init_config OUT ip-10-0-1-5.eu-west-1.compute.internal 10.0.1.5 ${TOKEN}`,
    );
    expect(init.apiVersion).toBe("kubeadm.k8s.io/v1beta4");
    expect(init.kind).toBe("InitConfiguration");
    expect(init.bootstrapTokens).toEqual([
      {
        token: TOKEN,
        ttl: "0s",
        usages: ["signing", "authentication"],
        groups: ["system:bootstrappers:kubeadm:default-node-token"],
      },
    ]);
    expect(init.localAPIEndpoint).toEqual({ advertiseAddress: "10.0.1.5", bindPort: 6443 });
    const reg = init.nodeRegistration as Obj;
    expect(reg.name).toBe("ip-10-0-1-5.eu-west-1.compute.internal");
    expect(reg.kubeletExtraArgs).toEqual([{ name: "node-ip", value: "10.0.1.5" }]);
    expect(reg).not.toHaveProperty("taints"); // kubeadm's control-plane taint
    expect(cluster.kind).toBe("ClusterConfiguration");
  });

  it("write_init_config without a token writes no bootstrapTokens (offline phases only)", () => {
    const [init] = runKubeadmSh("write_init_config OUT node-a 10.0.1.5");
    expect(init).not.toHaveProperty("bootstrapTokens");
  });

  it("write_join_config for a control plane: discovery through the LB, local endpoint", () => {
    const [join] = runKubeadmSh(`write_join_config OUT node-b 10.0.2.7 ${TOKEN} ${HASH} true`);
    expect(join.kind).toBe("JoinConfiguration");
    expect(join.discovery).toEqual({
      bootstrapToken: { apiServerEndpoint: "lb.example:6443", token: TOKEN, caCertHashes: [HASH] },
    });
    expect(join.controlPlane).toEqual({ localAPIEndpoint: { advertiseAddress: "10.0.2.7", bindPort: 6443 } });
    expect(join.nodeRegistration as Obj).not.toHaveProperty("taints");
  });

  it("write_join_config for a worker: pool labels and taints, no controlPlane", () => {
    const [join] = runKubeadmSh(`write_join_config OUT node-c 10.0.3.9 ${TOKEN} ${HASH} false`, {
      NODE_LABELS: "k8sha.io/pool=gpu,example.com/team=ml",
      NODE_TAINTS: "nvidia.com/gpu=true:NoSchedule,dedicated:NoExecute",
    });
    expect(join).not.toHaveProperty("controlPlane");
    const reg = join.nodeRegistration as Obj;
    expect(reg.kubeletExtraArgs).toEqual([
      { name: "node-ip", value: "10.0.3.9" },
      { name: "node-labels", value: "k8sha.io/pool=gpu,example.com/team=ml" },
    ]);
    expect(reg.taints).toEqual([
      { key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" },
      { key: "dedicated", value: "", effect: "NoExecute" },
    ]);
  });

  it("an untainted worker gets an explicit empty taint list; a malformed taint fails", () => {
    const [join] = runKubeadmSh(`write_join_config OUT node-d 10.0.3.10 ${TOKEN} ${HASH} false`);
    expect((join.nodeRegistration as Obj).taints).toEqual([]);
    expect(() =>
      runKubeadmSh(`write_join_config OUT n 10.0.3.11 ${TOKEN} ${HASH} false 2>/dev/null`, {
        NODE_TAINTS: "a=b:Sometimes",
      }),
    ).toThrow();
  });
});
