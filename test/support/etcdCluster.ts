/**
 * A reusable harness that runs REAL etcd 3.4 members (`/usr/bin/etcd`) with mutual TLS on
 * loopback addresses (127.0.0.0/8 only), and drives them with the real `etcdctl`. Use (ports no other test file uses): `EtcdTestCluster.create({ clientPort, peerPort })`,
 * `startNew([{ name, ip }, ...])`, `putMany(clientUrl(ip), "k/", 100)`, `stop(name)`, `cleanup()`.
 * Every member gets a data dir, a log file and a peer/server certificate (IP SAN = its IP)
 * under one temp dir. `cleanup()` SIGKILLs what is still running and deletes the dir; a
 * process-exit hook and a pid registry (owner pid + member pids) kill members left behind
 * by a crashed run, never those of a live parallel test file.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import {
  type CommandResult,
  ETCD_BIN,
  ETCDCTL_BIN,
  type EtcdClusterOptions,
  type EtcdMemberInfo,
  type EtcdMemberSpec,
  killStrays,
  liveChildren,
  PID_REGISTRY,
  parseMemberList,
  run,
  type StartOptions,
  sleep,
  tailOf,
} from "./etcdProcess";
import { type CertPaths, createCa, issueCert, type TestCa } from "./pki";

export type {
  CommandResult,
  EtcdClusterOptions,
  EtcdMemberInfo,
  EtcdMemberSpec,
  StartOptions,
} from "./etcdProcess";
export { ETCD_BIN, ETCDCTL_BIN, run } from "./etcdProcess";

/** The harness's options: etcdProcess.ts's, plus an optional metrics listener and quota. */
export interface EtcdHarnessOptions extends EtcdClusterOptions {
  /**
   * When set, every member also serves its Prometheus metrics on plain http at
   * `http://<its ip>:metricsPort/metrics` (`--listen-metrics-urls`; kubeadm: 127.0.0.1:2381).
   */
  metricsPort?: number;
  /** etcd's `--quota-backend-bytes` for every member (etcd's default, 2 GiB, when unset). */
  quotaBackendBytes?: number;
}

export class EtcdTestCluster {
  readonly dir: string;
  readonly ca: TestCa;
  /** Client certificate that etcdctl (and the project's bash functions) present. */
  readonly client: CertPaths;
  private readonly processes = new Map<string, ChildProcess>();
  private readonly pidFile: string;

  private constructor(private readonly options: EtcdHarnessOptions) {
    killStrays();
    this.dir = mkdtempSync(join(tmpdir(), "k8sha-etcd-"));
    this.pidFile = join(PID_REGISTRY, `${basename(this.dir)}.pids`);
    this.ca = createCa(join(this.dir, "pki"));
    this.client = issueCert(this.ca, "client", []);
  }

  /** Make the temp dir, CA and client certificate; kills strays of an earlier crashed run. */
  static async create(options: EtcdHarnessOptions): Promise<EtcdTestCluster> {
    return new EtcdTestCluster(options);
  }

  clientUrl(ip: string): string {
    return `https://${ip}:${this.options.clientPort}`;
  }

  peerUrl(ip: string): string {
    return `https://${ip}:${this.options.peerPort}`;
  }

  /** The member's metrics URL (only served when the cluster was created with `metricsPort`). */
  metricsUrl(ip: string): string {
    return `http://${ip}:${this.options.metricsPort}/metrics`;
  }

  defaultDataDir(name: string): string {
    return join(this.dir, `${name}.etcd`);
  }

  /** `name=peerUrl,...` for `--initial-cluster`. */
  initialCluster(members: EtcdMemberSpec[]): string {
    return members.map((m) => `${m.name}=${this.peerUrl(m.ip)}`).join(",");
  }

  /** etcdctl's own TLS environment variables; pass to the project's bash functions. */
  tlsEnv(): Record<string, string> {
    return {
      ETCDCTL_API: "3",
      K8SHA_ETCDCTL: ETCDCTL_BIN, // the node uses its copy from the etcd image; tests, the host's
      ETCDCTL_CACERT: this.ca.cert,
      ETCDCTL_CERT: this.client.cert,
      ETCDCTL_KEY: this.client.key,
    };
  }

  /** Start one member (does not wait for health: a lone new member cannot be healthy). */
  start(member: EtcdMemberSpec, opts: StartOptions): ChildProcess {
    if (this.isRunning(member.name)) throw new Error(`etcd member ${member.name} is already running`);
    // etcd checks a peer's client certificate against the connection's source address, and
    // Linux dials 127.x.y.z from 127.0.0.1, so member certs also carry 127.0.0.1.
    const tls = issueCert(this.ca, `member-${member.ip}`, [member.ip, "127.0.0.1"]);
    const electionMs = this.options.electionMs ?? 1000;
    const args = [
      ...["--name", member.name, "--data-dir", opts.dataDir ?? this.defaultDataDir(member.name)],
      ...[
        "--listen-client-urls",
        this.clientUrl(member.ip),
        "--advertise-client-urls",
        this.clientUrl(member.ip),
      ],
      ...["--listen-peer-urls", this.peerUrl(member.ip)],
      ...["--initial-advertise-peer-urls", this.peerUrl(member.ip)],
      ...["--initial-cluster", opts.initialCluster, "--initial-cluster-state", opts.initialClusterState],
      ...["--initial-cluster-token", "k8sha-test"],
      ...["--heartbeat-interval", String(this.options.heartbeatMs ?? 100)],
      ...["--election-timeout", String(electionMs)],
      ...["--cert-file", tls.cert, "--key-file", tls.key, "--trusted-ca-file", this.ca.cert],
      "--client-cert-auth",
      ...["--peer-cert-file", tls.cert, "--peer-key-file", tls.key, "--peer-trusted-ca-file", this.ca.cert],
      "--peer-client-cert-auth",
      ...["--logger", "zap", "--log-outputs", join(this.dir, `${member.name}.log`)],
      ...(this.options.metricsPort === undefined
        ? []
        : ["--listen-metrics-urls", `http://${member.ip}:${this.options.metricsPort}`]),
      ...(this.options.quotaBackendBytes === undefined
        ? []
        : ["--quota-backend-bytes", String(this.options.quotaBackendBytes)]),
    ];
    const child = spawn(ETCD_BIN, args, { stdio: "ignore" });
    this.processes.set(member.name, child);
    liveChildren.add(child);
    child.on("exit", () => {
      liveChildren.delete(child);
      if (this.processes.get(member.name) === child) this.processes.delete(member.name);
    });
    this.savePids();
    return child;
  }

  /** Bootstrap a brand-new cluster of `members` and wait until every member is healthy. */
  async startNew(members: EtcdMemberSpec[], timeoutMs = 15000): Promise<void> {
    const initialCluster = this.initialCluster(members);
    for (const m of members) this.start(m, { initialCluster, initialClusterState: "new" });
    await this.waitHealthy(
      members.map((m) => this.clientUrl(m.ip)),
      timeoutMs,
    );
  }

  isRunning(name: string): boolean {
    return this.processes.has(name);
  }

  /** Graceful stop (SIGTERM), resolved once the process has exited. */
  stop(name: string): Promise<void> {
    return this.signal(name, "SIGTERM");
  }

  /** Crash a member (SIGKILL), resolved once the process has exited. */
  kill(name: string): Promise<void> {
    return this.signal(name, "SIGKILL");
  }

  private async signal(name: string, signal: NodeJS.Signals): Promise<void> {
    const child = this.processes.get(name);
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    await exited;
  }

  /** Run etcdctl with the client certificate and short timeouts; never throws. */
  etcdctl(args: string[], endpoints: string[], commandTimeout = "3s"): Promise<CommandResult> {
    const fullArgs = [
      `--endpoints=${endpoints.join(",")}`,
      "--dial-timeout=1s",
      `--command-timeout=${commandTimeout}`,
    ];
    return run(ETCDCTL_BIN, [...fullArgs, ...args], this.tlsEnv());
  }

  /** Run etcdctl and throw with its stderr on failure. */
  async etcdctlOk(args: string[], endpoints: string[]): Promise<string> {
    const result = await this.etcdctl(args, endpoints);
    if (result.code !== 0) throw new Error(`etcdctl ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout;
  }

  async put(endpoint: string, key: string, value: string): Promise<void> {
    await this.etcdctlOk(["put", key, value], [endpoint]);
  }

  /**
   * `member add` through `endpoint`, retried like kubeadm join does: etcd refuses with
   * "unhealthy cluster" until the serving member has been connected to every voting member
   * for 5 s (etcd's HealthInterval), e.g. right after a start or a member removal.
   * Returns the new member's hex id.
   */
  async addMember(endpoint: string, member: EtcdMemberSpec, timeoutMs = 10000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // An earlier attempt may have committed although its reply timed out: never add twice.
      const existing = (await this.memberList(endpoint).catch(() => [])).find((m) =>
        m.peerUrls.includes(this.peerUrl(member.ip)),
      );
      if (existing) return existing.id;
      const result = await this.etcdctl(
        ["member", "add", member.name, `--peer-urls=${this.peerUrl(member.ip)}`],
        [endpoint],
      );
      const id = /Member ([0-9a-f]+) added/.exec(result.stdout)?.[1];
      if (result.code === 0 && id) return id;
      if (Date.now() > deadline) throw new Error(`member add ${member.name} failed: ${result.stderr}`);
      await sleep(250);
    }
  }

  /** Read one key; `serializable` answers from the member's local copy (proves replication). */
  async get(endpoint: string, key: string, serializable = false): Promise<string | undefined> {
    const consistency = serializable ? "s" : "l";
    const out = await this.etcdctlOk(
      ["get", key, "--print-value-only", `--consistency=${consistency}`],
      [endpoint],
    );
    return out === "" ? undefined : out.replace(/\n$/, "");
  }

  /** Write `${prefix}${i}` = `value-${i}` for i in [0, count) in transactions of 100 puts. */
  async putMany(endpoint: string, prefix: string, count: number): Promise<void> {
    for (let start = 0; start < count; start += 100) {
      const puts: string[] = [];
      for (let i = start; i < Math.min(count, start + 100); i++) puts.push(`put ${prefix}${i} value-${i}`);
      // A leader change (e.g. right after a member was killed) times a request out; the puts are
      // idempotent (same keys, same values), so retrying is what a real client would do.
      for (let attempt = 1; ; attempt++) {
        const result = await run(
          ETCDCTL_BIN,
          [`--endpoints=${endpoint}`, "--command-timeout=5s", "txn"],
          this.tlsEnv(),
          // Sections end with a blank line: no compares, the puts, no failure ops.
          `\n${puts.join("\n")}\n\n\n`,
        );
        if (result.code === 0 && result.stdout.startsWith("SUCCESS")) break;
        const transient = /request timed out|leader changed|no leader/.test(result.stderr);
        if (!transient || attempt >= 5) throw new Error(`txn failed: ${result.stderr}${result.stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  }

  /** Number of keys under `prefix`, read from `endpoint` (serializable: local copy only). */
  async countKeys(endpoint: string, prefix: string, serializable = false): Promise<number> {
    const consistency = serializable ? "s" : "l";
    const out = await this.etcdctlOk(
      ["get", prefix, "--prefix", "--count-only", "-w", "fields", `--consistency=${consistency}`],
      [endpoint],
    );
    const match = /"Count" : (\d+)/.exec(out);
    if (!match) throw new Error(`no Count in: ${out}`);
    return Number(match[1]);
  }

  /** Every key under `prefix` with its value (values must not contain newlines). */
  async getPrefix(endpoint: string, prefix: string, serializable = false): Promise<Map<string, string>> {
    const consistency = serializable ? "s" : "l";
    const out = await this.etcdctlOk(["get", prefix, "--prefix", `--consistency=${consistency}`], [endpoint]);
    const lines = out.split("\n");
    const pairs = new Map<string, string>();
    for (let i = 0; i + 1 < lines.length; i += 2) pairs.set(lines[i] ?? "", lines[i + 1] ?? "");
    return pairs;
  }

  async memberList(endpoint: string): Promise<EtcdMemberInfo[]> {
    return parseMemberList(await this.etcdctlOk(["member", "list", "-w", "simple"], [endpoint]));
  }

  /** True when `etcdctl endpoint health` succeeds on every endpoint. */
  async healthy(endpoints: string[]): Promise<boolean> {
    const result = await this.etcdctl(["endpoint", "health"], endpoints, "1s");
    return result.code === 0;
  }

  /** Poll until every endpoint is healthy; throws with the members' log tails on timeout. */
  async waitHealthy(endpoints: string[], timeoutMs = 10000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await this.healthy(endpoints)) return;
      await sleep(100);
    }
    throw new Error(`etcd not healthy within ${timeoutMs} ms: ${endpoints.join(",")}\n${this.logTails()}`);
  }

  /** The last lines of every running member's log, for failure messages. */
  logTails(lines = 5): string {
    return [...this.processes.keys()]
      .map((name) => tailOf(join(this.dir, `${name}.log`), name, lines))
      .join("\n");
  }

  /** Kill every member and delete the temp dir (call from afterAll); K8SHA_KEEP_ETCD_DIR=1 keeps it. */
  async cleanup(): Promise<void> {
    await Promise.all([...this.processes.keys()].map((name) => this.kill(name)));
    rmSync(this.pidFile, { force: true });
    if (process.env.K8SHA_KEEP_ETCD_DIR === "1") return;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private savePids(): void {
    const pids = [...this.processes.values()].map((c) => c.pid).filter((p) => p !== undefined);
    writeFileSync(this.pidFile, `${[process.pid, ...pids].join("\n")}\n`);
  }
}
