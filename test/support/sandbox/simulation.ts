/**
 * The whole-cluster simulation: a control plane of the real dev stack (any master count) in node
 * sandboxes, faults applied to it the way AWS would (an instance lost, or its etcd volume lost
 * with it), and after each recovery the checks that matter: etcd healthy with every member
 * started and voting, one per master, at the master's stable address, and every key written
 * before the fault still there. Used by the scenario tests (test/node/*.test.ts, *.sim.ts) and
 * `npm run simulate` (scripts/simulate.ts).
 */
import { execFileSync } from "node:child_process";
import { truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ETCD_CLIENT_PORT, ETCD_PEER_PORT } from "../../../base/ports";
import { ETCDCTL_BIN } from "../etcdProcess";
import { SandboxCluster } from "./cluster";
import type { BootResult, NodeSandbox } from "./node";
import type { Rollable } from "./rolling";

/** What is lost with a master: only its instance, or its etcd volume's data as well. */
export type Loss = "instance" | "volume";

export interface Recovery {
  /** What happened, e.g. "masters 0,2 replaced at once (volumes kept)". */
  event: string;
  /** Per master: its boot mode and the seconds from its instance's launch to a healthy member. */
  masters: { index: number; mode: string; bootSeconds: number; healthySeconds: number }[];
  /** etcd members after the recovery, and keys found of those written before the fault. */
  members: number;
  keys: string;
}

interface MemberJson {
  members?: {
    ID: number | string;
    name?: string;
    peerURLs?: string[];
    clientURLs?: string[];
    isLearner?: boolean;
  }[];
}

/** How an instance is launched besides its template (see `SandboxCluster.launch`). */
export type LaunchExtras = Parameters<SandboxCluster["launch"]>[1];

/** A boot's result and the seconds from the fault (or the launch of a fresh cluster) to its end. */
export interface TimedBoot extends BootResult {
  seconds: number;
}

function timedBoots(nodes: NodeSandbox[], t0: number): Promise<TimedBoot[]> {
  return Promise.all(nodes.map(async (n) => ({ ...(await n.boot()), seconds: (Date.now() - t0) / 1000 })));
}

const ZONES = ["a", "b", "c", "d", "e", "f"].map((z) => `eu-west-1${z}`);

export class Simulation implements Rollable {
  /** The current instance of each master, master 0 first. */
  readonly masters: NodeSandbox[] = [];
  readonly recoveries: Recovery[] = [];
  /** The boots of `start()`: masters in index order, then the worker. */
  freshBoots: TimedBoot[] = [];
  private generations: number[] = [];
  private written = 0;
  private worker?: NodeSandbox;

  private constructor(
    readonly cluster: SandboxCluster,
    readonly count: number,
  ) {}

  /** The dev stack with `count` masters (one per zone; a single one with allowNonHa). */
  static async create(count: number): Promise<Simulation> {
    const zones = ZONES.slice(0, Math.max(3, count));
    const overrides =
      count === 1
        ? { masters: { count: 1, allowNonHa: true, instanceType: "t3.medium" } }
        : { masters: { count, instanceType: "t3.medium" }, availabilityZones: zones };
    const cluster = await SandboxCluster.create("dev", overrides);
    return new Simulation(cluster, count);
  }

  zone(index: number): string {
    return ZONES[index] ?? "";
  }

  private launchMaster(index: number, extra?: LaunchExtras): Promise<NodeSandbox> {
    return this.cluster.launch(
      {
        name: `cp-${index}`,
        template: this.cluster.template(`dev-cp-${index}-lt`),
        zone: this.zone(index),
        generation: this.generations[index] ?? 0,
      },
      extra ?? {},
    );
  }

  /** The boots of replacements an ASG launched (for the rolling gate), not yet awaited. */
  readonly asgBoots: Promise<TimedBoot>[] = [];
  /** What the next ASG replacement is launched with (e.g. a command missing, to fail its boot); used once. */
  nextReplacement?: LaunchExtras;

  /** The instance joins its master's ASG (InService) and the API target group, as the ASG does. */
  private enlist(index: number, node: NodeSandbox): void {
    const group = this.cluster.masterGroups[index];
    if (!group) return;
    this.cluster.aws.autoscaling.inService(group, { id: node.instanceId, zone: this.zone(index) });
    this.cluster.aws.targetGroup.register(node.instanceId);
  }

  /** What EC2 Auto Scaling does for a master's group: terminate the instance, launch its replacement. */
  private asgReplace(groupName: string, instanceId: string): Promise<{ id: string; zone: string }> {
    const index = this.cluster.masterGroups.indexOf(groupName);
    const old = this.masters[index];
    if (index < 0 || !old || old.instanceId !== instanceId)
      throw new Error(`the simulation does not know ${instanceId} in ${groupName}`);
    this.cluster.terminate(old);
    this.generations[index] = (this.generations[index] ?? 0) + 1;
    const extra = this.nextReplacement;
    this.nextReplacement = undefined;
    return this.launchMaster(index, extra).then((node) => {
      this.masters[index] = node;
      this.cluster.aws.targetGroup.register(node.instanceId);
      const t0 = Date.now();
      this.asgBoots.push(node.boot().then((b) => ({ ...b, seconds: (Date.now() - t0) / 1000 })));
      return { id: node.instanceId, zone: this.zone(index) };
    });
  }

  /** Every master (and a worker) launched at once, as `pulumi up` starts their ASGs. */
  async start(withWorker = false): Promise<TimedBoot[]> {
    const t0 = Date.now();
    this.generations = Array.from({ length: this.count }, () => 0);
    const nodes = await Promise.all(this.generations.map((_, i) => this.launchMaster(i)));
    this.masters.push(...nodes);
    for (const [i, n] of nodes.entries()) this.enlist(i, n);
    this.cluster.aws.replaceInstance = (group, id) => this.asgReplace(group.name, id);
    if (withWorker) {
      this.worker = await this.cluster.launch({
        name: "worker",
        template: this.cluster.template("dev-general-lt"),
        zone: this.zone(0),
        generation: 50,
      });
    }
    const boots = await timedBoots([...nodes, ...(this.worker ? [this.worker] : [])], t0);
    this.freshBoots = boots;
    await this.record(`fresh cluster: ${this.count} master(s) boot at once`, nodes, boots, t0);
    return boots;
  }

  /** The worker of `start(true)`. */
  get workerNode(): NodeSandbox {
    if (!this.worker) throw new Error("the simulation was started without a worker");
    return this.worker;
  }

  /** `count` more keys under sim/, through the cluster. */
  putKeys(count = 20): void {
    for (let i = 0; i < count; i++) {
      this.etcdctl(["put", `sim/key-${String(this.written).padStart(5, "0")}`, `value-${this.written}`]);
      this.written++;
    }
  }

  /**
   * The instances of `indices` are lost at the same moment (and with `volume`, their etcd
   * volumes' data too: a blank volume in the same place); their ASGs launch replacements, which
   * boot concurrently. Resolves once every replacement booted and the checks passed.
   */
  async replace(
    indices: number[],
    loss: Loss = "instance",
    env?: Record<string, string>,
  ): Promise<TimedBoot[]> {
    for (const i of indices) {
      const old = this.masters[i] as NodeSandbox;
      this.cluster.terminate(old);
      if (loss === "volume") this.blankVolume(i);
    }
    const t0 = Date.now();
    const nodes = await Promise.all(
      indices.map((i) => {
        this.generations[i] = (this.generations[i] ?? 0) + 1;
        return this.launchMaster(i, { env });
      }),
    );
    indices.forEach((i, k) => {
      this.masters[i] = nodes[k] as NodeSandbox;
      this.enlist(i, nodes[k] as NodeSandbox);
    });
    const boots = await timedBoots(nodes, t0);
    const what = indices.length === this.count ? "all masters" : `master(s) ${indices.join(",")}`;
    const how = indices.length > 1 ? " at the same moment" : "";
    await this.record(
      `${what} replaced${how} (${loss === "volume" ? "volume lost" : "volume kept"})`,
      nodes,
      boots,
      t0,
    );
    return boots;
  }

  /** The etcd volume of master `index` comes back blank (no filesystem, no data). */
  private blankVolume(index: number): void {
    const volume = [...this.cluster.aws.volumes.values()].find((v) => v.zone === this.zone(index));
    if (!volume) throw new Error(`no etcd volume in ${this.zone(index)}`);
    truncateSync(volume.image, 0);
    truncateSync(volume.image, 8192 * 1024 * 1024);
  }

  /** Every member's client URL: each master's stable address. */
  etcdEndpoints(): string[] {
    return this.masters.map((m) => `https://${m.o.ownAddress}:${ETCD_CLIENT_PORT}`);
  }

  /** The etcd CA and the health-check client pair of `node`, or of a master whose member runs. */
  etcdClientFlags(node?: NodeSandbox): string[] {
    const live = node ?? this.masters.find((m) => m.etcdRunning()) ?? this.masters[this.masters.length - 1];
    if (!live) throw new Error("no master");
    const pki = join(live.root, "etc/kubernetes/pki/etcd");
    return [
      `--cacert=${pki}/ca.crt`,
      `--cert=${pki}/healthcheck-client.crt`,
      `--key=${pki}/healthcheck-client.key`,
    ];
  }

  /** etcdctl from outside, with a live master's health-check client certificate. */
  etcdctl(args: string[], node?: NodeSandbox): string {
    return execFileSync(
      ETCDCTL_BIN,
      [
        `--endpoints=${this.etcdEndpoints().join(",")}`,
        ...this.etcdClientFlags(node),
        "--dial-timeout=2s",
        "--command-timeout=5s",
        ...args,
      ],
      { env: { ETCDCTL_API: "3" }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
  }

  /** The members, one per master, started, voting, each at its master's stable address. */
  memberProblems(): string[] {
    const list = JSON.parse(this.etcdctl(["member", "list", "-w", "json"])) as MemberJson;
    const members = list.members ?? [];
    const problems: string[] = [];
    if (members.length !== this.count) problems.push(`${members.length} members, expected ${this.count}`);
    for (const m of this.masters) {
      const url = `https://${m.o.ownAddress}:${ETCD_PEER_PORT}`;
      const member = members.find((x) => x.peerURLs?.includes(url));
      if (!member) problems.push(`no member at ${url}`);
      else if (member.isLearner) problems.push(`${url} is still a learner`);
      else if (!member.name || !member.clientURLs?.length) problems.push(`${url} never started`);
    }
    try {
      this.etcdctl(["endpoint", "health", "--cluster"]);
    } catch (e) {
      problems.push(`endpoint health: ${(e as { stderr?: string }).stderr ?? String(e)}`);
    }
    return problems;
  }

  /** Keys missing of the ones written so far. */
  missingKeys(): string[] {
    const have = new Set(
      this.etcdctl(["get", "sim/", "--prefix", "--keys-only"]).split("\n").filter(Boolean),
    );
    return Array.from({ length: this.written }, (_, i) => `sim/key-${String(i).padStart(5, "0")}`).filter(
      (k) => !have.has(k),
    );
  }

  private async healthy(node: NodeSandbox, deadline: number): Promise<boolean> {
    while (Date.now() < deadline) {
      try {
        this.etcdctl(["endpoint", "health"], node);
        if (this.missingKeys().length === 0) return true;
      } catch {
        // not yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  }

  private async record(event: string, nodes: NodeSandbox[], boots: TimedBoot[], t0: number): Promise<void> {
    const masters: Recovery["masters"] = [];
    for (const [k, node] of nodes.entries()) {
      const boot = boots[k];
      const bootSeconds = boot?.seconds ?? Number.NaN;
      const mode = /boot mode: (\w+)/.exec(boot?.log ?? "")?.[1] ?? "?";
      if (boot?.code !== 0) {
        writeFileSync(join(node.o.dir, "simulation-failure"), event);
        throw new Error(
          `${event}: master ${this.masters.indexOf(node)} boot failed (exit ${boot?.code}); see ${node.o.dir}/boot.log`,
        );
      }
      const ok = await this.healthy(node, Date.now() + 60_000);
      masters.push({
        index: this.masters.indexOf(node),
        mode,
        bootSeconds,
        healthySeconds: ok ? (Date.now() - t0) / 1000 : Number.NaN,
      });
    }
    const problems = this.memberProblems();
    const missing = this.missingKeys();
    this.recoveries.push({
      event,
      masters,
      members: this.count - problems.filter((p) => p.startsWith("no member")).length,
      keys: `${this.written - missing.length}/${this.written}`,
    });
    if (problems.length || missing.length)
      throw new Error(`${event}: ${[...problems, ...missing.map((k) => `missing ${k}`)].join("; ")}`);
  }

  /** A short table of every recovery: what happened, how each master came back, and how fast. */
  table(): string {
    const rows = this.recoveries.map((r) => {
      const modes = r.masters.map((m) => `${m.index}:${m.mode}`).join(" ");
      const slowest = Math.max(...r.masters.map((m) => m.healthySeconds));
      return `| ${r.event} | ${modes} | ${slowest.toFixed(1)} | ${r.members}/${this.count} | ${r.keys} |`;
    });
    return [
      "| event | master:mode | seconds to healthy (slowest) | members | keys kept |",
      "| --- | --- | --- | --- | --- |",
      ...rows,
    ].join("\n");
  }

  async stop(): Promise<void> {
    await this.cluster.stop();
  }
}
