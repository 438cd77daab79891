/**
 * A 3-member etcd cluster for the failover benchmark (bench/etcd-failover.ts): plain HTTP on
 * loopback, extra flags per member, the leader killed and restarted, writes timed to the first
 * success through the survivors.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { basename, join } from "node:path";
import { performance } from "node:perf_hooks";
import { ETCD_BIN, liveChildren, PID_REGISTRY, sleep, tailOf } from "../test/support/etcdProcess";

export interface FlagSet {
  id: string;
  label: string;
  args: string[];
  electionMs: number;
}

// Addresses and ports no test file uses, so the bench can run next to `npm test`.
const CLIENT_PORT = 25379;
const PEER_PORT = 25380;
// Short enough that a put stuck on a follower that still forwards to the dead leader is
// abandoned quickly; new puts are launched every WRITE_EVERY_MS regardless, so the timeout
// does not limit the resolution.
const PUT_TIMEOUT_MS = 500;
const WRITE_EVERY_MS = 10;
const MAX_IN_FLIGHT = 64;
const STATUS_TIMEOUT_MS = 500;

// keepAlive: a fresh TCP connection per put would add noise to a millisecond measurement.
export const agent = new Agent({ keepAlive: true });

interface Member {
  name: string;
  ip: string;
  dataDir: string;
  logFile: string;
  id?: string;
  child?: ChildProcess;
}

interface Status {
  memberId: string;
  leader: string;
  term: number;
  raftIndex: number;
}

export interface CrashResult {
  leader: string;
  /** Wall clock of the kill, to find the election in the members' logs. */
  killedAt: string;
  seconds: number;
  /** Raft term increase from the kill until the first successful put. */
  terms: number;
  /** Raft term increase while the killed member rejoined (a rejoin that disrupted the leader). */
  rejoinTerms: number;
}

/** POST a JSON body; resolves with the parsed 200 response, or undefined on any failure. */
function postJson(url: string, body: unknown, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const req = request(
      url,
      { method: "POST", agent, headers: { "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          if (res.statusCode !== 200) return settle(undefined);
          try {
            settle(JSON.parse(text));
          } catch {
            settle(undefined);
          }
        });
        res.on("error", () => settle(undefined));
        res.on("close", () => settle(undefined));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      settle(undefined);
    }, timeoutMs);
    req.on("error", () => settle(undefined));
    req.end(JSON.stringify(body));
  });
}

function field(obj: unknown, key: string): unknown {
  return typeof obj === "object" && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

export class BenchCluster {
  readonly members: Member[];
  private readonly pidFile: string;

  constructor(
    dir: string,
    private readonly set: FlagSet,
    ipBase: number,
  ) {
    mkdirSync(dir, { recursive: true });
    this.members = [1, 2, 3].map((i) => {
      const name = `${set.id}${i}`;
      return {
        name,
        ip: `127.0.99.${ipBase + i}`,
        dataDir: join(dir, `${name}.etcd`),
        logFile: join(dir, `${name}.log`),
      };
    });
    this.pidFile = join(PID_REGISTRY, `${basename(dir)}-${set.id}.pids`);
  }

  clientUrl(m: Member): string {
    return `http://${m.ip}:${CLIENT_PORT}`;
  }

  private peerUrl(m: Member): string {
    return `http://${m.ip}:${PEER_PORT}`;
  }

  /** Start (or restart: etcd ignores the --initial-cluster flags when the data dir exists). */
  start(m: Member): void {
    const initialCluster = this.members.map((x) => `${x.name}=${this.peerUrl(x)}`).join(",");
    const args = [
      ...["--name", m.name, "--data-dir", m.dataDir],
      ...["--listen-client-urls", this.clientUrl(m), "--advertise-client-urls", this.clientUrl(m)],
      ...["--listen-peer-urls", this.peerUrl(m), "--initial-advertise-peer-urls", this.peerUrl(m)],
      ...["--initial-cluster", initialCluster, "--initial-cluster-state", "new"],
      ...["--initial-cluster-token", `k8sha-bench-${this.set.id}`],
      ...this.set.args,
      ...["--logger", "zap", "--log-outputs", m.logFile],
    ];
    const child = spawn(ETCD_BIN, args, { stdio: "ignore" });
    m.child = child;
    liveChildren.add(child);
    child.on("exit", () => {
      liveChildren.delete(child);
      if (m.child === child) m.child = undefined;
    });
    this.savePids();
  }

  /** SIGKILL a member; resolves with the moment of the kill once the process is gone. */
  async kill(m: Member): Promise<number> {
    const child = m.child;
    if (!child) throw new Error(`${m.name} is not running`);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const killedAt = performance.now();
    child.kill("SIGKILL");
    await exited;
    return killedAt;
  }

  async status(m: Member): Promise<Status | undefined> {
    const body = await postJson(`${this.clientUrl(m)}/v3/maintenance/status`, {}, STATUS_TIMEOUT_MS);
    const header = field(body, "header");
    const memberId = field(header, "member_id");
    const leader = field(body, "leader");
    const term = field(body, "raftTerm");
    const raftIndex = field(body, "raftIndex");
    if (typeof memberId !== "string" || typeof leader !== "string") return undefined;
    return { memberId, leader, term: Number(term ?? 0), raftIndex: Number(raftIndex ?? 0) };
  }

  async put(m: Member, value: string): Promise<boolean> {
    const body = await postJson(
      `${this.clientUrl(m)}/v3/kv/put`,
      { key: b64("bench/failover"), value: b64(value) },
      PUT_TIMEOUT_MS,
    );
    return field(body, "header") !== undefined;
  }

  /**
   * Wait until every member answers, all agree on one leader and term, and the followers have
   * caught up with the leader's raft index; returns that term.
   */
  async waitStable(timeoutMs = 30000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const exited = this.members.filter((m) => !m.child);
      if (exited.length > 0) {
        const names = exited.map((m) => m.name).join(",");
        throw new Error(`etcd ${names} exited (port in use?)\n${this.logTails()}`);
      }
      const all = await Promise.all(this.members.map((m) => this.status(m)));
      const ok = all.filter((s) => s !== undefined);
      const first = ok[0];
      if (
        first &&
        ok.length === this.members.length &&
        first.leader !== "0" &&
        ok.every((s) => s.leader === first.leader && s.term === first.term) &&
        Math.max(...ok.map((s) => s.raftIndex)) - Math.min(...ok.map((s) => s.raftIndex)) <= 2
      ) {
        for (const [i, m] of this.members.entries()) m.id = all[i]?.memberId;
        return first.term;
      }
      await sleep(100);
    }
    throw new Error(`cluster ${this.set.id} not stable within ${timeoutMs} ms\n${this.logTails()}`);
  }

  /**
   * Launch a put every WRITE_EVERY_MS at every survivor without waiting for earlier ones, and
   * resolve with the completion time of the first that succeeds.
   */
  firstSuccessfulPut(survivors: Member[], timeoutMs = 30000): Promise<number> {
    return new Promise((resolve, reject) => {
      let done = false;
      let seq = 0;
      const inFlight = new Map<Member, number>(survivors.map((m) => [m, 0]));
      const finish = (err?: Error) => {
        done = true;
        clearInterval(ticker);
        clearTimeout(giveUp);
        if (err) reject(err);
      };
      const ticker = setInterval(() => {
        for (const m of survivors) {
          const n = inFlight.get(m) ?? 0;
          if (done || n >= MAX_IN_FLIGHT) continue;
          inFlight.set(m, n + 1);
          void this.put(m, String(seq++)).then((ok) => {
            inFlight.set(m, (inFlight.get(m) ?? 1) - 1);
            if (!ok || done) return;
            const at = performance.now();
            finish();
            resolve(at);
          });
        }
      }, WRITE_EVERY_MS);
      const giveUp = setTimeout(
        () => finish(new Error(`no successful put within ${timeoutMs} ms\n${this.logTails()}`)),
        timeoutMs,
      );
    });
  }

  async leader(): Promise<Member> {
    const s = await this.status(this.members[0] as Member);
    const leader = this.members.find((m) => m.id === s?.leader);
    if (!leader) throw new Error(`no leader found: ${JSON.stringify(s)}`);
    return leader;
  }

  async crashLeader(): Promise<CrashResult> {
    const before = await this.waitStable();
    const leader = await this.leader();
    const survivors = this.members.filter((m) => m !== leader);
    // Warm the keep-alive connections so the first put after the kill does not pay for a connect.
    for (const m of survivors) await this.put(m, "warm-up");
    const killedAtWall = new Date().toISOString();
    const killedAt = await this.kill(leader);
    const writableAt = await this.firstSuccessfulPut(survivors);
    const after = await Promise.all(survivors.map((m) => this.status(m)));
    const recoveredTerm = Math.max(...after.map((s) => s?.term ?? 0));
    this.start(leader);
    await this.waitStable();
    // A rejoining member that campaigns with a higher term deposes the leader a few ticks after
    // it starts; waiting two election timeouts lets that show up in the term.
    await sleep(2 * this.set.electionMs);
    const settledTerm = await this.waitStable();
    return {
      leader: leader.name,
      killedAt: killedAtWall,
      seconds: (writableAt - killedAt) / 1000,
      terms: recoveredTerm - before,
      rejoinTerms: settledTerm - recoveredTerm,
    };
  }

  logTails(lines = 5): string {
    return this.members.map((m) => tailOf(m.logFile, m.name, lines)).join("\n");
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.members.filter((m) => m.child).map((m) => this.kill(m)));
    rmSync(this.pidFile, { force: true });
  }

  private savePids(): void {
    const pids = this.members.map((m) => m.child?.pid).filter((p) => p !== undefined);
    writeFileSync(this.pidFile, `${[process.pid, ...pids].join("\n")}\n`);
  }
}
