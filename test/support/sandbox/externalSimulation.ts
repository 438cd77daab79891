/**
 * The whole-cluster simulation in the external etcd topology: the dev stack's graph with
 * `etcd.topology: external` (3 dedicated etcd nodes, 3 stateless masters), every node booted from
 * its own launch template's rendered user-data and its role's boot bundle, the etcd volumes the
 * graph's, the etcd release tarball on the sandbox "internet" at the URL the etcd boot downloads.
 * The tarball is made first (deterministically: same bytes on every run of this host) so that the
 * graph is synthesized with its real sha256 as `etcd.releaseSha256`. Its bytes are not upstream's,
 * so it cannot carry a release config/etcd-versions.ts pins (the config would refuse the digest):
 * it is the default release's next patch, stated with its digest as a stack does for a release
 * without a pin. The pinned digest reaching the nodes is the graph tests' to show.
 *
 * Stand-ins, said plainly: the tarball holds the host's etcd and etcdctl 3.4 (Debian) under the
 * stack's pinned version; kubeadm, kubelet and the API server are the sandbox's stubs (fakes/,
 * kube-external.js says what external etcd changes there); the test's etcdctl is the host's, with
 * the apiserver-etcd-client pair the cluster PKI seeds.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { truncateSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { API_PORT, ETCD_CLIENT_PORT } from "../../../base/ports";
import { etcdReleaseTarball } from "../../../config/etcd-versions";
import { SandboxCluster } from "./cluster";
import { releaseTarball, simulatedEtcdVersion } from "./etcdRelease";
import { nodeEnvOf } from "./launch";
import type { BootResult, NodeSandbox } from "./node";
import type { Rollable } from "./rolling";
import type { TimedBoot } from "./simulation";

/** One row of `etcdctl member list -w simple`. */
export interface MemberRow {
  id: string;
  status: string;
  name: string;
  peerUrl: string;
  clientUrl: string;
  isLearner: boolean;
}

const MEMBERS = 3;

export class ExternalSimulation implements Rollable {
  /** The current instance of each etcd node and of each master, index 0 first. */
  readonly etcdNodes: NodeSandbox[] = [];
  readonly masters: NodeSandbox[] = [];
  /** The boots of replacements an ASG launched (for the rolling gates), not yet awaited. */
  readonly asgBoots: Promise<TimedBoot>[] = [];
  private readonly etcdGenerations = Array.from({ length: MEMBERS }, () => 0);
  private readonly masterGenerations = Array.from({ length: MEMBERS }, () => 0);

  private constructor(
    readonly cluster: SandboxCluster,
    readonly etcdVersion: string,
    readonly releaseSha256: string,
  ) {}

  static async create(net?: number): Promise<ExternalSimulation> {
    const version = simulatedEtcdVersion();
    const staging = execFileSync("mktemp", ["-d", "/tmp/k8sha-etcd-release-XXXXXX"], {
      encoding: "utf8",
    }).trim();
    const tarball = releaseTarball(staging, version);
    execFileSync("rm", ["-rf", staging]);
    const sha256 = createHash("sha256").update(tarball).digest("hex");
    const url = `github.com/etcd-io/etcd/releases/download/v${version}/${etcdReleaseTarball(version)}`;
    const cluster = await SandboxCluster.create(
      "dev",
      {
        etcd: { topology: "external", version, releaseSha256: sha256 },
        masters: { count: MEMBERS, instanceType: "t3.medium" },
      },
      net,
      { internetFiles: { [url]: tarball } },
    );
    return new ExternalSimulation(cluster, version, sha256);
  }

  /** The stable address of etcd node `index` (its launch template's node.env). */
  etcdAddress(index: number): string {
    return nodeEnvOf(this.cluster.template(`dev-etcd-${index}-lt`)).STABLE_IP ?? "";
  }

  private async launchEtcd(index: number): Promise<NodeSandbox> {
    const template = this.cluster.template(`dev-etcd-${index}-lt`);
    const zone = nodeEnvOf(template).AVAILABILITY_ZONE ?? "";
    const generation = this.etcdGenerations[index] ?? 0;
    this.etcdGenerations[index] = generation + 1;
    // Primary addresses 100+ above the masters' in the same subnet: one subnet holds both roles.
    const node = await this.cluster.launch(
      { name: `etcd-${index}`, template, zone, generation: 100 + generation },
      { unitAttempts: 3 },
    );
    // As the etcd node's ASG does: InService once it runs.
    const group = this.cluster.etcdGroups[index];
    if (group) this.cluster.aws.autoscaling.inService(group, { id: node.instanceId, zone });
    return node;
  }

  /**
   * What EC2 Auto Scaling does when a gate terminates an instance of an etcd node's or a
   * master's group: the instance goes, a replacement launches from the group's current template.
   */
  private async asgReplace(groupName: string, instanceId: string): Promise<{ id: string; zone: string }> {
    const etcd = this.cluster.etcdGroups.indexOf(groupName);
    const master = this.cluster.masterGroups.indexOf(groupName);
    const [nodes, index, launch, role] =
      etcd >= 0
        ? [this.etcdNodes, etcd, (i: number) => this.launchEtcd(i), "etcd"]
        : [this.masters, master, (i: number) => this.launchMaster(i), "cp"];
    const old = nodes[index];
    if (index < 0 || !old || old.instanceId !== instanceId)
      throw new Error(`the simulation does not know ${instanceId} in ${groupName}`);
    this.cluster.terminate(old);
    const node = await launch(index);
    nodes[index] = node;
    const t0 = Date.now();
    this.asgBoots.push(node.boot().then((b) => ({ ...b, seconds: (Date.now() - t0) / 1000 })));
    return {
      id: node.instanceId,
      zone: nodeEnvOf(this.cluster.template(`dev-${role}-${index}-lt`)).AVAILABILITY_ZONE ?? "",
    };
  }

  private async launchMaster(index: number, env?: Record<string, string>): Promise<NodeSandbox> {
    const template = this.cluster.template(`dev-cp-${index}-lt`);
    const zone = nodeEnvOf(template).AVAILABILITY_ZONE ?? "";
    const generation = this.masterGenerations[index] ?? 0;
    this.masterGenerations[index] = generation + 1;
    const node = await this.cluster.launch(
      { name: `cp-${index}`, template, zone, generation },
      { unitAttempts: 4, env },
    );
    // As the master's ASG does: InService, and registered with the API target group.
    const group = this.cluster.masterGroups[index];
    if (group) this.cluster.aws.autoscaling.inService(group, { id: node.instanceId, zone });
    this.cluster.aws.targetGroup.register(node.instanceId);
    return node;
  }

  /**
   * Every etcd node and every master launched at the same moment, as `pulumi up` starts their
   * ASGs; `masterEnv[i]` is more of master i's boot environment (e.g. a fault to inject).
   */
  async start(
    masterEnv: Record<number, Record<string, string>> = {},
  ): Promise<{ etcd: BootResult[]; masters: BootResult[] }> {
    const indices = Array.from({ length: MEMBERS }, (_, i) => i);
    this.cluster.aws.replaceInstance = (group, id) => this.asgReplace(group.name, id);
    const [etcd, masters] = await Promise.all([
      Promise.all(indices.map((i) => this.launchEtcd(i))),
      Promise.all(indices.map((i) => this.launchMaster(i, masterEnv[i]))),
    ]);
    this.etcdNodes.push(...etcd);
    this.masters.push(...masters);
    const boots = await Promise.all([...etcd, ...masters].map((n) => n.boot()));
    return { etcd: boots.slice(0, MEMBERS), masters: boots.slice(MEMBERS) };
  }

  /**
   * The etcd nodes of `indices` are lost at once (with `blank`, their volumes' data too: a blank
   * volume in the same place); their ASGs launch replacements, which boot concurrently.
   */
  async replaceEtcd(indices: number[], blank = false): Promise<BootResult[]> {
    for (const i of indices) this.lose(this.etcdNodes[i] as NodeSandbox, this.cluster.etcdGroups[i]);
    if (blank) for (const i of indices) await this.blankVolume(i);
    for (const i of indices) this.etcdNodes[i] = await this.launchEtcd(i);
    return Promise.all(indices.map((i) => (this.etcdNodes[i] as NodeSandbox).boot()));
  }

  /** The masters of `indices` are lost at once; their replacements boot concurrently. */
  async replaceMasters(indices: number[]): Promise<BootResult[]> {
    for (const i of indices) this.lose(this.masters[i] as NodeSandbox, this.cluster.masterGroups[i]);
    for (const i of indices) this.masters[i] = await this.launchMaster(i);
    return Promise.all(indices.map((i) => (this.masters[i] as NodeSandbox).boot()));
  }

  /** The instance is lost (EC2 terminates it) and its ASG's health check drops it. */
  private lose(node: NodeSandbox, group: string | undefined): void {
    this.cluster.terminate(node);
    if (group) this.cluster.aws.autoscaling.lost(group, node.instanceId);
  }

  /**
   * Etcd node `index`'s volume comes back blank, once no loop device holds its image any more
   * (the lost instance's unmount would write dirty blocks back into the emptied file).
   */
  private async blankVolume(index: number): Promise<void> {
    const id = nodeEnvOf(this.cluster.template(`dev-etcd-${index}-lt`)).ETCD_VOLUME_ID ?? "";
    const image = this.cluster.aws.volumes.get(id)?.image;
    if (!image) throw new Error(`no etcd volume ${id} for etcd node ${index}`);
    for (
      let waited = 0;
      execFileSync("losetup", ["-j", image], { encoding: "utf8" }).trim() !== "";
      waited++
    ) {
      if (waited >= 300) throw new Error(`${image} is still attached to a loop device after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    truncateSync(image, 0);
    truncateSync(image, 8192 * 1024 * 1024);
  }

  /** Every etcd node's client URL, node 0 first. */
  etcdEndpoints(): string[] {
    return Array.from({ length: MEMBERS }, (_, i) => `https://${this.etcdAddress(i)}:${ETCD_CLIENT_PORT}`);
  }

  endpoints(): string {
    return this.etcdEndpoints().join(",");
  }

  /** The etcd CA and the API server's client pair the cluster PKI seeds. */
  etcdClientFlags(): string[] {
    const pki = join(this.cluster.dir, "pki/etcd");
    return [
      `--cacert=${pki}/ca.crt`,
      `--cert=${pki}/apiserver-etcd-client.crt`,
      `--key=${pki}/apiserver-etcd-client.key`,
    ];
  }

  /** The host's etcdctl (v3) against the etcd nodes, with the etcd CA and the API server's client pair. */
  etcdctl(args: string[], endpoints = this.endpoints()): string {
    return execFileSync(
      "/usr/bin/etcdctl",
      [
        `--endpoints=${endpoints}`,
        ...this.etcdClientFlags(),
        "--dial-timeout=2s",
        "--command-timeout=5s",
        ...args,
      ],
      { env: { ETCDCTL_API: "3" }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
  }

  /** The etcd members as the cluster lists them. */
  members(): MemberRow[] {
    return this.etcdctl(["member", "list", "-w", "simple"])
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const [id = "", status = "", name = "", peerUrl = "", clientUrl = "", learner = ""] = l.split(", ");
        return { id, status, name, peerUrl, clientUrl, isLearner: learner === "true" };
      });
  }

  /** `count` keys under sim/ with their values, written through etcd. */
  putKeys(count: number): void {
    for (let i = 0; i < count; i++)
      this.etcdctl(["put", `sim/key-${String(i).padStart(4, "0")}`, `value-${i}`]);
  }

  /** Every key under sim/ with its value, as `get --prefix` prints them (key and value lines). */
  keys(): string[] {
    return this.etcdctl(["get", "sim/", "--prefix"]).split("\n").filter(Boolean);
  }

  /** The HTTP status of a master's own API server's /readyz (0 when it does not answer). */
  readyz(node: NodeSandbox): Promise<number> {
    return new Promise((resolve) => {
      const req = request(
        {
          host: node.o.ownAddress,
          port: API_PORT,
          path: "/readyz",
          rejectUnauthorized: false,
          timeout: 5000,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", () => resolve(0));
      req.on("timeout", () => req.destroy());
      req.end();
    });
  }

  /**
   * One run of the oneshot service `unit` on `node`, as its timer would start it: its
   * Environment= and EnvironmentFile= settings, then its ExecStart.
   */
  runService(node: NodeSandbox, unit: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const text = node.read(`etc/systemd/system/${unit}`);
    const value = (key: string) =>
      text.split("\n").flatMap((l) => (l.startsWith(`${key}=`) ? [l.slice(key.length + 1)] : []));
    const exec = value("ExecStart")[0];
    if (!exec) throw new Error(`${unit} has no ExecStart on ${node.instanceId}`);
    const script = [
      ...value("Environment").map((e) => `export ${e}`),
      ...value("EnvironmentFile").map((f) => `set -a; . ${f}; set +a`),
      exec,
    ].join("\n");
    return node.exec(script, 120);
  }

  async stop(): Promise<void> {
    await this.cluster.stop();
  }
}
