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
 *
 * Its parts: internet.ts (the downloads), clusterPki.ts (the PKI in SSM), launch.ts (one
 * instance from a template), operator.ts (the operator's AWS CLI).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { API_PORT } from "../../../base/ports";
import {
  type ConfigOverrides,
  ofType,
  type RegisteredResource,
  readStackConfig,
  type SynthResult,
  synthesize,
} from "../../../synth/mockRuntime";
import { issueCert, type TestCa } from "../pki";
import { S3TestServer } from "../s3";
import { seedClusterPki } from "./clusterPki";
import { apiServerRunning, isExternalEtcdMaster } from "./externalNodes";
import { FakeAws } from "./fakeAws";
import { LoopbackInterfaces } from "./interfaces";
import { INTERNET_HOSTS, startClusterInternet } from "./internet";
import { type GraphSubnet, type LaunchExtra, launchNode, type NodeSpec, nodeEnvOf } from "./launch";
import { close, type Listening, startApi } from "./loopback";
import type { NodeSandbox } from "./node";
import { operatorEnv } from "./operator";

export { BOOTSTRAP_TOKEN } from "./clusterPki";

/** What a cluster serves besides its graph: more downloads on its "internet", by host and path. */
export interface ClusterExtras {
  internetFiles?: Record<string, Buffer>;
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

  /** The graph's masters' rolling gates (local commands running scripts/roll-master.sh), master 0 first. */
  gates: RegisteredResource[] = [];
  /** The etcd nodes' rolling gates of the external topology (scripts/roll-etcd-node.sh), member 0 first. */
  etcdGates: RegisteredResource[] = [];
  /** Each master's ASG name, master 0 first. */
  masterGroups: string[] = [];
  /** Each dedicated etcd node's ASG name (external topology), member 0 first. */
  etcdGroups: string[] = [];

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

  /** The rolling gates and the master and etcd-node ASGs of a graph (no gates when `rolling.enabled` is false). */
  private adopt(graph: SynthResult): void {
    this.templates = ofType(graph, "aws:ec2/launchTemplate:LaunchTemplate");
    const gates = ofType(graph, "command:local:Command")
      .filter((c) => this.gateEnv(c).K8SHA_ROLL_MEMBER !== undefined)
      .sort((a, b) => Number(this.gateEnv(a).K8SHA_ROLL_MEMBER) - Number(this.gateEnv(b).K8SHA_ROLL_MEMBER));
    // An etcd node's gate is told every etcd ASG; a master's is not.
    const ofEtcd = (c: RegisteredResource) => this.gateEnv(c).K8SHA_ROLL_ETCD_ASGS !== undefined;
    this.gates = gates.filter((c) => !ofEtcd(c));
    this.etcdGates = gates.filter(ofEtcd);
    const groups = (pattern: RegExp) =>
      ofType(graph, "aws:autoscaling/group:Group")
        .filter((g) => pattern.test(g.name))
        .sort((a, b) => Number(/-(\d+)-asg$/.exec(a.name)?.[1]) - Number(/-(\d+)-asg$/.exec(b.name)?.[1]))
        .map((g) => String(g.state.name ?? g.inputs.name));
    this.masterGroups = groups(/-cp-\d+-asg$/);
    this.etcdGroups = groups(/-etcd-\d+-asg$/);
    for (const name of [...this.masterGroups, ...this.etcdGroups])
      if (!this.aws.autoscaling.groups.has(name)) this.aws.autoscaling.addGroup(name);
    const arn = [...this.gates, ...this.etcdGates]
      .map((g) => this.gateEnv(g).K8SHA_ROLL_TARGET_GROUP_ARN)
      .find(Boolean);
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
    const before = new Map(
      [...this.etcdGates, ...this.gates].map((g) => [g.name, JSON.stringify(g.inputs.triggers ?? [])]),
    );
    this.overrides = overrides;
    const graph = await SandboxCluster.graphOf(this.stack, overrides, this.net);
    this.bundles = ofType(graph, "aws:s3/bucketObjectv2:BucketObjectv2");
    for (const b of this.bundles)
      await this.s3?.putObject(String(b.inputs.key), Buffer.from(String(b.inputs.content)));
    this.adopt(graph);
    // Pulumi re-runs a command only when its triggers changed (a replacement of the resource),
    // in the graph's order: the etcd nodes' gates are chained before the masters'.
    return [...this.etcdGates, ...this.gates].filter(
      (g) => before.get(g.name) !== JSON.stringify(g.inputs.triggers ?? []),
    );
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
    extras: ClusterExtras = {},
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
    await c.start(extras);
    return c;
  }

  private envOf(template: RegisteredResource): Record<string, string> {
    return nodeEnvOf(template);
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
    return operatorEnv(this.dir, this.s3?.endpoint ?? "", this.aws.endpoint);
  }

  private async start(extras: ClusterExtras): Promise<void> {
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
      if (node === undefined || node.read("var/lib/k8sha/boot-succeeded") === "") return false;
      // A master of the external topology has no etcd "pod": its API server is what runs.
      return isExternalEtcdMaster(node) ? apiServerRunning(node) : node.etcdRunning();
    };
    // The cluster-wide settings (bundle bucket, versions, API name), as master 0 has them.
    const env = this.envOf(this.template(this.templates.find((t) => /-cp-0-lt$/.test(t.name))?.name ?? ""));
    this.s3 = await S3TestServer.start(env.BOOT_BUNDLE_BUCKET ?? "");
    for (const b of this.bundles)
      await this.s3.putObject(String(b.inputs.key), Buffer.from(String(b.inputs.content)));
    // The cluster PKI the graph's tls resources stand for, under the graph's parameter names.
    const ca = seedClusterPki(this.dir, this.aws, this.parameters, env.SSM_PREFIX ?? "");
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
    const { ca: internetCa, server: internet } = await startClusterInternet(
      this.dir,
      env.KUBERNETES_VERSION ?? "",
      env.CNI_VERSION ?? "",
      extras.internetFiles,
    );
    this.internetCa = internetCa;
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

  /**
   * A new instance from `template` in `zone`: its primary address is in the zone's subnet, on
   * the /24 above the master address reservation, host 10+generation.
   */
  async launch(spec: NodeSpec, extra: LaunchExtra = {}): Promise<NodeSandbox> {
    const subnet = this.subnet(spec.zone);
    const node = await launchNode(
      {
        dir: this.dir,
        net: this.net,
        aws: this.aws,
        interfaces: this.interfaces,
        subnet,
        connectTo: [
          ...INTERNET_HOSTS.map((host) => `${host}:443:127.0.0.1:${this.internetPort}`),
          `${this.apiHost}:${API_PORT}:127.0.0.1:${this.apiPort}`,
        ],
        caBundle: this.internetCa?.cert ?? "",
        s3Endpoint: this.s3?.endpoint ?? "",
        servers: this.servers,
      },
      spec,
      extra,
    );
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
