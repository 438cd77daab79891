/**
 * A cluster of node sandboxes built from a REAL stack's synthesized graph (Pulumi mocks): each
 * node gets its launch template's rendered user-data, the boot bundles are the graph's S3
 * objects (served by s3rver), the SSM parameter and volume names are the graph's. What the graph
 * cannot give (the CA key material the tls provider would make, AWS itself) is made here:
 * real CAs from openssl under the graph's parameter names, the fake EC2/SSM endpoint, IMDS per
 * node, the "internet" downloads and the API load balancer on loopback.
 *
 * The stack's VPC is moved onto loopback (network.vpcCidr = 127.<net>.0.0/16), so the graph's own
 * subnets and the masters' stable addresses in them are loopback addresses every node can bind
 * and reach. Each instance's primary interface is a veth whose MAC IMDS reports; the boot adds
 * the stable address to it with the real `ip`.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { formatIpv4, mustParseCidr } from "../../../base/cidr";
import { API_PORT } from "../../../base/ports";
import { decodeUserData } from "../../../policy/userData";
import {
  type ConfigOverrides,
  ofType,
  type RegisteredResource,
  readStackConfig,
  type SynthResult,
  synthesize,
} from "../../../synth/mockRuntime";
import { createCa, issueCert, type TestCa } from "../pki";
import { S3TestServer } from "../s3";
import { FakeAws } from "./fakeAws";
import { LoopbackInterfaces } from "./interfaces";
import { close, imdsAnswers, type Listening, startApi, startImds, startInternet } from "./loopback";
import { NodeSandbox } from "./node";

export const BOOTSTRAP_TOKEN = "abcdef.0123456789abcdef";

/** Just enough of each download for the boot's own checks (kinds the CNI step waits for). */
function internetFiles(k8sMinor: string, calico: string): Record<string, string> {
  const calicoBase = `raw.githubusercontent.com/projectcalico/calico/v${calico}/manifests`;
  // ASCII armour with a valid CRC (gpg --dearmor checks it); the key itself is never used.
  const key = execFileSync("gpg", ["--batch", "--enarmor"], {
    input: Buffer.from("k8sha test key"),
  }).toString();
  return {
    // The cluster's minor and the next one (an upgrade by config configures its repository).
    [`pkgs.k8s.io/core:/stable:/v${k8sMinor}/deb/Release.key`]: key,
    [`pkgs.k8s.io/core:/stable:/v${nextMinor(k8sMinor)}/deb/Release.key`]: key,
    [`${calicoBase}/operator-crds.yaml`]:
      "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: installations.operator.tigera.io\n",
    [`${calicoBase}/tigera-operator.yaml`]:
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: tigera-operator\n  namespace: tigera-operator\n",
  };
}

/** "1.34" -> "1.35" */
function nextMinor(minor: string): string {
  const [major, m] = minor.split(".");
  return `${major}.${Number(m) + 1}`;
}

interface NodeSpec {
  name: string;
  template: RegisteredResource;
  zone: string;
  /** 0 for the first instance of a node, +1 for each replacement: its primary address. */
  generation: number;
}

/** One of the graph's private subnets. */
interface GraphSubnet {
  id: string;
  cidr: string;
  zone: string;
}

export class SandboxCluster {
  readonly aws = new FakeAws();
  readonly dir = mkdtempSync(join(tmpdir(), "k8sha-cluster-"));
  /** 127.<net>.<subnet>.<host>: every cluster of a test run gets its own /16 of loopback. */
  readonly net: number;
  private s3?: S3TestServer;
  private servers: Listening[] = [];
  private internetCa?: TestCa;
  private internetPort = 0;
  private apiPort = 0;
  private apiHost = "";
  readonly nodes: NodeSandbox[] = [];

  private readonly interfaces: LoopbackInterfaces;

  /** The graph's rolling gates (local commands running scripts/roll-master.sh), master 0 first. */
  gates: RegisteredResource[] = [];
  /** Each master's ASG name, master 0 first. */
  masterGroups: string[] = [];

  private constructor(
    net: number,
    readonly stack: string,
    private overrides: ConfigOverrides,
    public templates: RegisteredResource[],
    public bundles: RegisteredResource[],
    readonly parameters: RegisteredResource[],
    readonly volumes: RegisteredResource[],
    readonly subnets: GraphSubnet[],
  ) {
    this.net = net;
    this.interfaces = new LoopbackInterfaces(net);
  }

  private static graphOf(stack: string, overrides: ConfigOverrides, net: number) {
    const network = JSON.parse(readStackConfig(stack)["k8s-ha:network"] ?? "{}") as Record<string, unknown>;
    return synthesize(stack, {
      ...overrides,
      network: { ...network, ...(overrides.network as object), vpcCidr: `127.${net}.0.0/16` },
    });
  }

  /** The rolling gates and master ASGs of a graph (none when `rolling.enabled` is false). */
  private adopt(graph: SynthResult): void {
    this.templates = ofType(graph, "aws:ec2/launchTemplate:LaunchTemplate");
    this.gates = ofType(graph, "command:local:Command")
      .filter((c) => this.gateEnv(c).K8SHA_ROLL_MEMBER !== undefined)
      .sort((a, b) => Number(this.gateEnv(a).K8SHA_ROLL_MEMBER) - Number(this.gateEnv(b).K8SHA_ROLL_MEMBER));
    this.masterGroups = ofType(graph, "aws:autoscaling/group:Group")
      .filter((g) => /-cp-\d+-asg$/.test(g.name))
      .sort((a, b) => Number(/-(\d+)-asg$/.exec(a.name)?.[1]) - Number(/-(\d+)-asg$/.exec(b.name)?.[1]))
      .map((g) => String(g.state.name ?? g.inputs.name));
    for (const name of this.masterGroups)
      if (!this.aws.autoscaling.groups.has(name)) this.aws.autoscaling.addGroup(name);
    const arn = this.gates[0] ? this.gateEnv(this.gates[0]).K8SHA_ROLL_TARGET_GROUP_ARN : undefined;
    if (arn) this.aws.targetGroup.arn = arn;
  }

  /** A gate's environment, as the graph gives it to the command. */
  gateEnv(gate: RegisteredResource): Record<string, string> {
    return (gate.inputs.environment ?? {}) as Record<string, string>;
  }

  /**
   * `pulumi up` with `overrides` changed: the graph again, on the same loopback network, whose
   * templates later launches use and whose gates the caller runs; new boot bundles are uploaded.
   */
  async restack(overrides: ConfigOverrides): Promise<RegisteredResource[]> {
    const before = new Map(this.gates.map((g) => [g.name, JSON.stringify(g.inputs.triggers ?? [])]));
    this.overrides = overrides;
    const graph = await SandboxCluster.graphOf(this.stack, overrides, this.net);
    this.bundles = ofType(graph, "aws:s3/bucketObjectv2:BucketObjectv2");
    for (const b of this.bundles)
      await this.s3?.putObject(String(b.inputs.key), Buffer.from(String(b.inputs.content)));
    this.adopt(graph);
    // Pulumi re-runs a command only when its triggers changed (a replacement of the resource).
    return this.gates.filter((g) => before.get(g.name) !== JSON.stringify(g.inputs.triggers ?? []));
  }

  /** The config the cluster's current graph was made from. */
  get config(): ConfigOverrides {
    return this.overrides;
  }

  /**
   * The stack's graph with its VPC on loopback (127.<net>.0.0/16; `net` defaults to a random
   * free-looking one, a test file running clusters in parallel can pin its own).
   */
  static async create(
    stack: string,
    overrides: ConfigOverrides = {},
    net = 100 + Math.floor(Math.random() * 150),
  ): Promise<SandboxCluster> {
    const graph = await SandboxCluster.graphOf(stack, overrides, net);
    const subnets = ofType(graph, "aws:ec2/subnet:Subnet")
      .filter((r) => /-private-\d+$/.test(r.name))
      .map((r) => ({
        id: String(r.state.id ?? `${r.name}-id`),
        cidr: String(r.inputs.cidrBlock),
        zone: String(r.inputs.availabilityZone),
      }));
    const c = new SandboxCluster(
      net,
      stack,
      overrides,
      ofType(graph, "aws:ec2/launchTemplate:LaunchTemplate"),
      ofType(graph, "aws:s3/bucketObjectv2:BucketObjectv2"),
      ofType(graph, "aws:ssm/parameter:Parameter"),
      ofType(graph, "aws:ebs/volume:Volume"),
      subnets,
    );
    c.adopt(graph);
    await c.start();
    return c;
  }

  private envOf(template: RegisteredResource): Record<string, string> {
    const file = decodeUserData(String(template.inputs.userData)).files.find(
      (f) => f.path === "/etc/k8sha/node.env",
    );
    const env: Record<string, string> = {};
    for (const line of (file?.content ?? "").split("\n")) {
      const m = /^([A-Z0-9_]+)='(.*)'$/.exec(line);
      if (m?.[1]) env[m[1]] = m[2] ?? "";
    }
    return env;
  }

  /** The node of a live instance. */
  nodeOf(instanceId: string): NodeSandbox | undefined {
    return this.nodes.find(
      (n) => n.instanceId === instanceId && this.aws.instances.get(instanceId)?.state === "running",
    );
  }

  /**
   * The operator's machine, where `pulumi up` runs the gates: the real AWS CLI sent to the fake
   * endpoints (a wrapper adds --endpoint-url per service, as AWS_ENDPOINT_URL_<SERVICE> would
   * with CLI v2) and credentials s3rver accepts.
   */
  operatorEnv(): Record<string, string> {
    const wrapper = join(this.dir, "operator", "aws");
    mkdirSync(dirname(wrapper), { recursive: true });
    writeFileSync(
      wrapper,
      [
        "#!/usr/bin/env bash",
        "endpoint=()",
        'for a in "$@"; do',
        '  case "$a" in',
        `    s3 | s3api) endpoint=(--endpoint-url '${this.s3?.endpoint ?? ""}'); break ;;`,
        `    ec2 | ssm | autoscaling | elbv2 | cloudwatch) endpoint=(--endpoint-url '${this.aws.endpoint}'); break ;;`,
        "  esac",
        "done",
        // Debian's CLI, as on the nodes (fakes/snap): it speaks CloudWatch's query protocol,
        // which the fake serves (newer CLIs default to CBOR for CloudWatch).
        'if [[ -x /usr/bin/aws ]]; then exec /usr/bin/aws "${endpoint[@]}" "$@"; fi',
        'exec aws "${endpoint[@]}" "$@"',
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    return {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      AWS_PAGER: "",
      K8SHA_AWS: wrapper,
    };
  }

  private async start(): Promise<void> {
    await this.aws.start();
    // What only the nodes can answer: a Run Command script runs on the node, a target is
    // healthy when its boot succeeded and its control plane runs (its etcd "pod").
    this.aws.runOnInstance = async (id, script, timeout) => {
      const node = this.nodeOf(id);
      if (!node) return { code: 1, stdout: "", stderr: `no running node ${id}` };
      return node.exec(script, timeout);
    };
    this.aws.targetHealthy = (id) => {
      const node = this.nodeOf(id);
      return node !== undefined && node.read("var/lib/k8sha/boot-succeeded") !== "" && node.etcdRunning();
    };
    // The cluster-wide settings (bundle bucket, versions, API name), as master 0 has them.
    const env = this.envOf(this.template(this.templates.find((t) => /-cp-0-lt$/.test(t.name))?.name ?? ""));
    this.s3 = await S3TestServer.start(env.BOOT_BUNDLE_BUCKET ?? "");
    for (const b of this.bundles)
      await this.s3.putObject(String(b.inputs.key), Buffer.from(String(b.inputs.content)));
    // The cluster PKI the graph's tls resources stand for, under the graph's parameter names.
    const pki = join(this.dir, "pki");
    const ca = createCa(join(pki, "ca"), "kubernetes");
    const etcdCa = createCa(join(pki, "etcd"), "etcd-ca");
    const proxyCa = createCa(join(pki, "front-proxy"), "front-proxy-ca");
    execFileSync("openssl", ["genrsa", "-out", join(pki, "sa.key"), "2048"], { stdio: "ignore" });
    execFileSync("openssl", ["rsa", "-in", join(pki, "sa.key"), "-pubout", "-out", join(pki, "sa.pub")], {
      stdio: "ignore",
    });
    copyFileSync(ca.cert, join(this.dir, "ca.crt"));
    const hash = execFileSync("bash", [
      "-c",
      `openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1`,
      "_",
      ca.cert,
    ])
      .toString()
      .trim();
    const { readFileSync } = await import("node:fs");
    const values: Record<string, string> = {
      "pki/ca.crt": readFileSync(ca.cert, "utf8"),
      "pki/ca.key": readFileSync(ca.key, "utf8"),
      "pki/etcd-ca.crt": readFileSync(etcdCa.cert, "utf8"),
      "pki/etcd-ca.key": readFileSync(etcdCa.key, "utf8"),
      "pki/front-proxy-ca.crt": readFileSync(proxyCa.cert, "utf8"),
      "pki/front-proxy-ca.key": readFileSync(proxyCa.key, "utf8"),
      "pki/sa.key": readFileSync(join(pki, "sa.key"), "utf8"),
      "pki/sa.pub": readFileSync(join(pki, "sa.pub"), "utf8"),
      "join/token": BOOTSTRAP_TOKEN,
      "join/discovery-hash": `sha256:${hash}`,
      "join/ca.crt": readFileSync(ca.cert, "utf8"),
    };
    const prefix = env.SSM_PREFIX ?? "";
    for (const p of this.parameters) {
      const name = String(p.inputs.name);
      // Key material is made here; a plain value (the control plane's version record) is the graph's.
      const value =
        values[name.slice(prefix.length + 1)] ??
        (p.inputs.type === "String" ? String(p.inputs.insecureValue ?? p.inputs.value) : undefined);
      if (value === undefined) throw new Error(`no test value for the graph's SSM parameter ${name}`);
      this.aws.putParameter(name, value, String(p.inputs.type));
    }
    for (const v of this.volumes)
      this.aws.addVolume(
        String(v.state.id ?? `${v.name}-id`),
        String(v.inputs.availabilityZone),
        join(this.dir, "volumes"),
      );
    // The etcd image's binaries: the host's etcd/etcdctl 3.4 stand in for the image's.
    const image = join(this.dir, "image-etcd/usr/local/bin");
    mkdirSync(image, { recursive: true });
    for (const b of ["etcd", "etcdctl"]) copyFileSync(`/usr/bin/${b}`, join(image, b));
    this.internetCa = createCa(join(this.dir, "internet-ca"), "test-internet-ca");
    const web = issueCert(
      this.internetCa,
      "web",
      [],
      ["pkgs.k8s.io", "raw.githubusercontent.com", "github.com"],
    );
    const minor = /^1\.(\d+)\./.exec(env.KUBERNETES_VERSION ?? "")?.[1];
    const internet = await startInternet(web, internetFiles(`1.${minor}`, env.CNI_VERSION ?? ""));
    this.internetPort = internet.port;
    this.apiHost = env.API_ENDPOINT ?? "";
    const apiCert = issueCert(ca, "api-lb", [], [this.apiHost]);
    const api = await startApi(apiCert, join(this.dir, "api-up"));
    this.apiPort = api.port;
    this.servers.push(internet, api);
  }

  /** The launch template of master `index` or of the worker pool `pool`. */
  template(name: string): RegisteredResource {
    const t = this.templates.find((x) => x.name === name);
    if (!t)
      throw new Error(`no launch template ${name}; have ${this.templates.map((x) => x.name).join(", ")}`);
    return t;
  }

  /** The private subnet of `zone`. */
  subnet(zone: string): GraphSubnet {
    const subnet = this.subnets.find((x) => x.zone === zone);
    if (!subnet) throw new Error(`the graph has no private subnet in ${zone}`);
    return subnet;
  }

  /** The tags the template's tag specification gives a resource it launches (instance, network-interface). */
  private specTags(template: RegisteredResource, resourceType: string): Record<string, string> {
    const specs = (template.inputs.tagSpecifications ?? []) as {
      resourceType: string;
      tags: Record<string, string>;
    }[];
    return specs.find((t) => t.resourceType === resourceType)?.tags ?? {};
  }

  /**
   * A new instance from `template` in `zone`: its primary address is in the zone's subnet, on
   * the /24 above the master address reservation, host 10+generation.
   */
  async launch(
    spec: NodeSpec,
    extra: { withoutAmiCommands?: string[]; unitAttempts?: number; env?: Record<string, string> } = {},
  ): Promise<NodeSandbox> {
    const subnet = this.subnet(spec.zone);
    const base = mustParseCidr(subnet.cidr).network;
    const ip = formatIpv4(base + 256 + 10 + spec.generation);
    const ordinal = this.interfaces.count;
    const instanceId = `i-0${ordinal.toString(16)}${spec.generation}${Math.floor(Math.random() * 1e8).toString(16)}`;
    const dir = join(this.dir, "nodes", `${spec.name}-g${spec.generation}`);
    mkdirSync(dir, { recursive: true });
    const env = this.envOf(spec.template);
    const mac = `0a:00:00:${this.net.toString(16).padStart(2, "0")}:${(ordinal >> 8).toString(16).padStart(2, "0")}:${(ordinal & 255).toString(16).padStart(2, "0")}`;
    const link = this.interfaces.add(mac, env.STABLE_IP || undefined);
    const eni = {
      id: `eni-0${ordinal.toString(16).padStart(4, "0")}${instanceId.slice(2, 8)}`,
      subnetId: subnet.id,
      addresses: [ip],
      tags: this.specTags(spec.template, "network-interface"),
    };
    this.aws.instances.set(instanceId, {
      id: instanceId,
      zone: spec.zone,
      privateIp: ip,
      state: "running",
      tags: {
        ...this.specTags(spec.template, "instance"),
        "k8sha.io/cluster": env.CLUSTER_NAME ?? "",
        "k8sha.io/role": env.K8SHA_ROLE ?? "",
      },
      deviceDir: join(dir, "root/dev/disk/by-id"),
      eni,
    });
    const imds = await startImds(
      imdsAnswers({
        instanceId,
        zone: spec.zone,
        ip,
        hostname: `ip-${ip.replaceAll(".", "-")}.eu-west-1.compute.internal`,
        mac,
        subnetCidr: subnet.cidr,
        eni,
      }),
    );
    this.servers.push(imds);
    const doc = parse(decodeUserData(String(spec.template.inputs.userData)).text) as { runcmd: string[][] };
    const node = new NodeSandbox({
      dir,
      clusterDir: this.dir,
      files: decodeUserData(String(spec.template.inputs.userData)).files,
      runcmd: doc.runcmd,
      ip,
      // A master's own services listen on its stable address (kubeadm's advertise address).
      ownAddress: env.STABLE_IP || ip,
      connectTo: [
        `169.254.169.254:80:127.0.0.1:${imds.port}`,
        `pkgs.k8s.io:443:127.0.0.1:${this.internetPort}`,
        `raw.githubusercontent.com:443:127.0.0.1:${this.internetPort}`,
        `github.com:443:127.0.0.1:${this.internetPort}`,
        `${this.apiHost}:${API_PORT}:127.0.0.1:${this.apiPort}`,
      ],
      caBundle: this.internetCa?.cert ?? "",
      endpoints: { s3: this.s3?.endpoint ?? "", other: this.aws.endpoint },
      withoutAmiCommands: extra.withoutAmiCommands,
      unitAttempts: extra.unitAttempts,
      env: extra.env,
    });
    node.instanceId = instanceId;
    node.link = link;
    this.nodes.push(node);
    return node;
  }

  /** The instance is lost: its processes stop, EC2 terminates it, its interface (and address) goes. */
  terminate(node: NodeSandbox): void {
    node.stop();
    this.aws.terminate(node.instanceId);
    this.interfaces.remove(node.link);
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) n.stop();
    await new Promise((r) => setTimeout(r, 200));
    await this.aws.stop();
    await this.s3?.stop();
    for (const s of this.servers) await close(s);
    this.interfaces.removeAll();
    // K8SHA_KEEP_SANDBOX=1 keeps every node's folder (boot.log, kubeadm.log, pods/etcd.log) to read.
    if (!process.env.K8SHA_KEEP_SANDBOX) rmSync(this.dir, { recursive: true, force: true });
  }
}
