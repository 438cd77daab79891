/**
 * Process plumbing and shared types of the etcd test harness (see etcdCluster.ts): binaries,
 * member specs, a non-throwing command runner, and the guards that make sure no etcd member
 * outlives the test process or a crashed earlier run.
 */
import { type ChildProcess, execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ETCD_BIN = process.env.ETCD_BIN ?? "/usr/bin/etcd";
export const ETCDCTL_BIN = process.env.ETCDCTL_BIN ?? "/usr/bin/etcdctl";

/** A member's identity: etcd `--name` and the loopback IP it listens on. */
export interface EtcdMemberSpec {
  name: string;
  ip: string;
}

export interface EtcdClusterOptions {
  /** Client port on every member IP; unique per test file so parallel files never clash. */
  clientPort: number;
  /** Peer port on every member IP; unique per test file. */
  peerPort: number;
  /** etcd `--heartbeat-interval` in ms (default 100: tolerant of a loaded 2-core test machine). */
  heartbeatMs?: number;
  /** etcd `--election-timeout` in ms (default 1000). */
  electionMs?: number;
}

export interface StartOptions {
  /** `--initial-cluster`; ignored by etcd when the data dir already holds a member. */
  initialCluster: string;
  initialClusterState: "new" | "existing";
  /** Reuse another data dir (a "volume" moved to a new IP); default `<dir>/<name>.etcd`. */
  dataDir?: string;
}

/** One parsed line of `etcdctl member list -w simple` (IDs stay hex strings: uint64 > 2^53). */
export interface EtcdMemberInfo {
  id: string;
  status: string;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const liveChildren = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of liveChildren) child.kill("SIGKILL");
});

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where every harness instance records "owner <test pid>" and its etcd member pids. */
export const PID_REGISTRY = join(tmpdir(), "k8sha-etcd-test-pids");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGKILL etcd members left behind by harness runs whose test process has died (a crash or a
 * killed jest). Members of live test processes, including parallel test files, are never
 * touched; a pid is only killed if it still is one of our etcd processes.
 */
export function killStrays(): void {
  mkdirSync(PID_REGISTRY, { recursive: true });
  for (const file of readdirSync(PID_REGISTRY)) {
    const path = join(PID_REGISTRY, file);
    const [owner, ...members] = readFileSync(path, "utf8").split("\n").filter(Boolean).map(Number);
    if (owner === undefined || alive(owner)) continue;
    for (const pid of members) {
      const cmdline = `/proc/${pid}/cmdline`;
      if (existsSync(cmdline) && readFileSync(cmdline, "utf8").includes("k8sha-etcd-"))
        process.kill(pid, "SIGKILL");
    }
    rmSync(path, { force: true });
  }
}

/** Run a command to completion without throwing; `input` is written to its stdin. */
export function run(cmd: string, args: string[], env: Record<string, string> = {}, input?: string) {
  return new Promise<CommandResult>((resolve) => {
    // A hard 60 s cap: a hung command fails the test instead of hanging the suite.
    const options = { env: { ...process.env, ...env }, timeout: 60000, killSignal: "SIGKILL" as const };
    const child = execFile(cmd, args, options, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Parse `etcdctl member list -w simple`: fields joined by ", ", URLs within a field by ",". */
export function parseMemberList(out: string): EtcdMemberInfo[] {
  return out
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [id, status, name, peers, clients] = line.split(", ");
      const urls = (s: string | undefined) => (s ? s.split(",").filter((u) => u !== "") : []);
      return {
        id: id ?? "",
        status: status ?? "",
        name: name ?? "",
        peerUrls: urls(peers),
        clientUrls: urls(clients),
      };
    });
}

/** `--- label` and the last `lines` lines of a log file (empty when it does not exist). */
export function tailOf(path: string, label: string, lines: number): string {
  const text = existsSync(path) ? readFileSync(path, "utf8").trim().split("\n").slice(-lines).join("\n") : "";
  return `--- ${label}\n${text}`;
}
