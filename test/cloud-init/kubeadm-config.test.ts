/**
 * kubeadm configuration: every document rendered in TypeScript (kubeadm-config.ts) as user-data
 * ships it, then filled at boot by the real lib/template.sh in bash and parsed here, as kubeadm
 * would read it.
 */
import { readFileSync } from "node:fs";
import { parse, parseAllDocuments } from "yaml";
import { masterConfigFiles, workerConfigFiles } from "../../cloud-init/config-files";
import {
  KUBEADM_SERVICE_ACCOUNT_ISSUER,
  kubeadmClusterConfiguration,
  masterKubeadmTemplates,
} from "../../cloud-init/kubeadm-config";
import { renderYaml } from "../../cloud-init/placeholders";
import type { MasterBootConfig } from "../../cloud-init/types";

/** The YAML of the ClusterConfiguration alone, as the renderer writes it into each template. */
const renderKubeadmClusterConfig = (cfg: MasterBootConfig) => renderYaml([kubeadmClusterConfiguration(cfg)]);

import { fillTemplate } from "../support/fakes/bashLib";
import { masterConfig, workerConfig } from "../support/render-fixtures";

type Obj = Record<string, unknown>;

const TOKEN = "abcdef.0123456789abcdef";
const HASH = `sha256:${"ab".repeat(32)}`;
const NAME = "ip-10-64-3-9.eu-west-1.compute.internal";
const PROVIDER_ID = "aws:///eu-west-1b/i-0123456789abcdef0";
/** The kubelet flags of the external cloud provider (the fixtures run the cloud controller). */
const CLOUD_ARGS = [
  { name: "cloud-provider", value: "external" },
  { name: "provider-id", value: PROVIDER_ID },
];

/** The documents of a filled template (fails the test when bash refused it). */
function filled(template: string, values: Record<string, string>): Obj[] {
  const r = fillTemplate(template, values);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  return parseAllDocuments(readFileSync(r.out, "utf8")).map((d) => d.toJS() as Obj);
}

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

  it("delays the API server's shutdown past the NLB's detection of a failing /readyz (3 x 5 s)", () => {
    const args = (cfg.apiServer as Obj).extraArgs as { name: string; value: string }[];
    expect(args).toEqual([{ name: "shutdown-delay-duration", value: "20s" }]);
    // Longer than the health check needs to take the target out, shorter than the pod's 30 s grace.
    expect(Number.parseInt(args[0]?.value ?? "", 10)).toBeGreaterThan(3 * 5);
    expect(Number.parseInt(args[0]?.value ?? "", 10)).toBeLessThan(30);
  });

  it("with the public issuer: it first (it signs), kubeadm's default second (still accepted), the JWKS URI", () => {
    const issuerUrl = "https://k8sha-sa-prod-0123.s3.eu-west-1.amazonaws.com";
    const withIssuer = parse(
      renderKubeadmClusterConfig({
        ...masterConfig(0, false),
        serviceAccountIssuer: { issuerUrl, jwksUri: `${issuerUrl}/openid/v1/jwks` },
      }),
    ) as Obj;
    expect((withIssuer.apiServer as Obj).extraArgs).toEqual([
      { name: "shutdown-delay-duration", value: "20s" },
      { name: "service-account-issuer", value: issuerUrl },
      { name: "service-account-issuer", value: KUBEADM_SERVICE_ACCOUNT_ISSUER },
      { name: "service-account-jwks-uri", value: `${issuerUrl}/openid/v1/jwks` },
    ]);
    // kubeadm before kubernetes/kubernetes#135400 sorts repeated flags by value: ours must still lead.
    expect([KUBEADM_SERVICE_ACCOUNT_ISSUER, issuerUrl].sort()[0]).toBe(issuerUrl);
  });

  it("refuses an issuer that is not https, or that an older kubeadm would sort after its own", () => {
    const issuer =
      (issuerUrl: string, jwksUri = `${issuerUrl}/openid/v1/jwks`) =>
      () =>
        kubeadmClusterConfiguration({
          ...masterConfig(0, false),
          serviceAccountIssuer: { issuerUrl, jwksUri },
        });
    expect(issuer("http://k8sha-sa.s3.eu-west-1.amazonaws.com")).toThrow(/issuerUrl must be an https URL/);
    expect(issuer("https://k8sha-sa.example", "http://x/jwks")).toThrow(/jwksUri must be an https URL/);
    expect(issuer("https://oidc.example.com")).toThrow(/must sort before https:\/\/kubernetes\.default/);
    expect(issuer(KUBEADM_SERVICE_ACCOUNT_ISSUER)).toThrow(/must sort before/);
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

describe("master templates, filled by lib/template.sh", () => {
  const master = masterConfig(1, false); // stable address 10.64.16.21
  const t = masterKubeadmTemplates(master);
  const patches = { directory: "/etc/k8sha/kubeadm/patches" };

  it("init: token (ttl 0s), advertise address = stable address, node name, then the ClusterConfiguration", () => {
    const [init, cluster] = filled(t.init, { NODE_NAME: NAME, BOOTSTRAP_TOKEN: TOKEN, PROVIDER_ID }) as [
      Obj,
      Obj,
    ];
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
    expect(init.localAPIEndpoint).toEqual({ advertiseAddress: "10.64.16.21", bindPort: 6443 });
    const reg = init.nodeRegistration as Obj;
    expect(reg.name).toBe(NAME);
    expect(reg.criSocket).toBe("unix:///run/containerd/containerd.sock");
    expect(reg.kubeletExtraArgs).toEqual([{ name: "node-ip", value: "10.64.16.21" }, ...CLOUD_ARGS]);
    expect(reg).not.toHaveProperty("taints"); // kubeadm's control-plane taint
    expect(init.patches).toEqual(patches);
    expect(cluster).toEqual(parse(renderKubeadmClusterConfig(master)));
  });

  it("local: no bootstrapTokens (offline phases only); the peer certificate also names the primary address", () => {
    const [init, cluster] = filled(t.local, { NODE_NAME: NAME, NODE_IP: "10.64.16.9", PROVIDER_ID }) as [
      Obj,
      Obj,
    ];
    expect(init).not.toHaveProperty("bootstrapTokens");
    expect(init.localAPIEndpoint).toEqual({ advertiseAddress: "10.64.16.21", bindPort: 6443 });
    expect(((cluster.etcd as Obj).local as Obj).peerCertSANs).toEqual(["10.64.16.9"]);
    expect(init.patches).toEqual(patches);
  });

  it("join for a control plane: discovery through the LB, local endpoint, the etcd patches", () => {
    const [join] = filled(t.join, {
      NODE_NAME: NAME,
      BOOTSTRAP_TOKEN: TOKEN,
      DISCOVERY_HASH: HASH,
      PROVIDER_ID,
    }) as [Obj];
    expect(join.kind).toBe("JoinConfiguration");
    expect(join.discovery).toEqual({
      bootstrapToken: {
        apiServerEndpoint: "prod-api-0a1b2c3d4e5f6789.elb.eu-west-1.amazonaws.com:6443",
        token: TOKEN,
        caCertHashes: [HASH],
      },
    });
    expect(join.controlPlane).toEqual({
      localAPIEndpoint: { advertiseAddress: "10.64.16.21", bindPort: 6443 },
    });
    expect(join.nodeRegistration as Obj).not.toHaveProperty("taints");
    expect(join.patches).toEqual(patches);
  });

  it("the etcd patch makes the data volume's hostPath a Directory that must exist", () => {
    const patch = masterConfigFiles(master).find(
      (f) => f.path === "/etc/k8sha/kubeadm/patches/etcd+strategic.yaml",
    );
    expect(parse(patch?.content ?? "")).toEqual({
      spec: {
        volumes: [{ name: "etcd-data", hostPath: { path: "/var/lib/etcd-volume/data", type: "Directory" } }],
      },
    });
  });
});

describe("worker template", () => {
  const joinOf = (cfg: typeof workerConfig) =>
    filled(workerConfigFiles(cfg)[0]?.content ?? "", {
      NODE_NAME: NAME,
      NODE_IP: "10.64.3.9",
      BOOTSTRAP_TOKEN: TOKEN,
      DISCOVERY_HASH: HASH,
      PROVIDER_ID,
    })[0] as Obj;

  it("pool labels and taints, no controlPlane, no patches", () => {
    const join = joinOf(workerConfig);
    expect(join).not.toHaveProperty("controlPlane");
    expect(join).not.toHaveProperty("patches");
    const reg = join.nodeRegistration as Obj;
    expect(reg.kubeletExtraArgs).toEqual([
      { name: "node-ip", value: "10.64.3.9" },
      { name: "node-labels", value: "example.com/team=ml,k8sha.io/pool=gpu" },
      ...CLOUD_ARGS,
    ]);
    expect(reg.taints).toEqual([{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }]);
  });

  it("an untainted worker gets an explicit empty taint list; '=' and ':' in values survive", () => {
    expect((joinOf({ ...workerConfig, taints: [] }).nodeRegistration as Obj).taints).toEqual([]);
    const taints = [
      { key: "example.com/a", value: "x=y:z", effect: "NoExecute" as const },
      { key: "dedicated", value: "", effect: "PreferNoSchedule" as const },
    ];
    const join = joinOf({ ...workerConfig, labels: { "example.com/b": "k=v:w" }, taints });
    const reg = join.nodeRegistration as Obj;
    expect(reg.taints).toEqual(taints);
    expect(reg.kubeletExtraArgs).toContainEqual({ name: "node-labels", value: "example.com/b=k=v:w" });
  });
});

describe("strings YAML 1.1 would read as booleans stay strings (kubeadm decodes with sigs.k8s.io/yaml)", () => {
  // sigs.k8s.io/yaml converts YAML 1.1 to JSON without the target type: a bare `yes` or `on` in
  // the string field Taint.Value or ClusterConfiguration.ClusterName is a fatal decode error.
  const yaml11 = (text: string) => parseAllDocuments(text, { version: "1.1" }).map((d) => d.toJS() as Obj);

  it("a worker taint keyed `on` with the value `yes`, and a label value `no`", () => {
    const files = workerConfigFiles({
      ...workerConfig,
      labels: { "example.com/spot": "no" },
      taints: [{ key: "on", value: "yes", effect: "NoSchedule" }],
    });
    const join = files.find((f) => f.path.endsWith("join.yaml"));
    expect(join).toBeDefined();
    const [doc] = yaml11(join?.content ?? "") as [Obj];
    expect((doc.nodeRegistration as Obj).taints).toEqual([{ key: "on", value: "yes", effect: "NoSchedule" }]);
  });

  it("a cluster named `yes` (a valid DNS label)", () => {
    const [cluster] = yaml11(
      renderKubeadmClusterConfig({ ...masterConfig(0, false), clusterName: "yes" }),
    ) as [Obj];
    expect(cluster.clusterName).toBe("yes");
  });
});
