/**
 * etcd leader failover benchmark: how long writes are unavailable after the leader of a
 * 3-member cluster is SIGKILLed, for several heartbeat/election/pre-vote flag sets, measured
 * in one run on one machine so the numbers are comparable.
 *
 * Usage: `npm run bench:etcd-failover -- [--crashes N] [--flags a,b,c]`. Prints a markdown
 * table to stdout and progress to stderr.
 *
 * The test harness (test/support/etcdCluster.ts) is TLS-only and has no way to pass extra etcd
 * flags such as --pre-vote, so the members are started here, over plain HTTP on loopback.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { ETCD_BIN, killStrays, liveChildren, run } from "../test/support/etcdProcess";
import { agent, BenchCluster, type CrashResult, type FlagSet } from "./etcdBenchCluster";

const FLAG_SETS: FlagSet[] = [
  {
    id: "a",
    label: "a. etcd defaults (100/1000)",
    args: ["--heartbeat-interval=100", "--election-timeout=1000"],
    electionMs: 1000,
  },
  {
    id: "b",
    label: "b. old project defaults (250/2500)",
    args: ["--heartbeat-interval=250", "--election-timeout=2500"],
    electionMs: 2500,
  },
  {
    id: "c",
    label: "c. proposed (100/1000 + pre-vote)",
    args: ["--heartbeat-interval=100", "--election-timeout=1000", "--pre-vote=true"],
    electionMs: 1000,
  },
];

function parseArgs(argv: string[]): { crashes: number; sets: FlagSet[] } {
  let crashes = 7;
  let ids = FLAG_SETS.map((s) => s.id);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === "--crashes" && value !== undefined) {
      crashes = Number(value);
      i++;
    } else if (arg === "--flags" && value !== undefined) {
      ids = value.split(",").map((s) => s.trim());
      i++;
    } else {
      throw new Error(`unknown argument ${arg}; usage: [--crashes N] [--flags a,b,c]`);
    }
  }
  // Fewer than 5 samples make min/median/max meaningless for a randomized election timeout.
  if (!Number.isInteger(crashes) || crashes < 5) throw new Error("--crashes must be an integer >= 5");
  const sets = ids.map((id) => {
    const set = FLAG_SETS.find((s) => s.id === id);
    if (!set) throw new Error(`unknown flag set ${id}; known: ${FLAG_SETS.map((s) => s.id).join(",")}`);
    return set;
  });
  return { crashes, sets };
}

function median(sorted: number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const { crashes, sets } = parseArgs(process.argv.slice(2));
  killStrays();
  // The "k8sha-etcd-" prefix lets killStrays() of a later test or bench run reap our members
  // if this process dies without cleaning up.
  const dir = mkdtempSync(join(tmpdir(), "k8sha-etcd-bench-"));
  // Same switch as the test harness: keep the members' logs to check a surprising number.
  const removeDir = () => {
    if (process.env.K8SHA_KEEP_ETCD_DIR === "1") console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  process.on("SIGINT", () => {
    for (const child of liveChildren) child.kill("SIGKILL");
    removeDir();
    process.exit(130);
  });
  const version = (await run(ETCD_BIN, ["--version"])).stdout;
  const etcdVersion = /etcd Version: (\S+)/.exec(version)?.[1] ?? "unknown";
  const goVersion = /Go Version: (\S+)/.exec(version)?.[1] ?? "Go unknown";
  const rows: string[] = [];
  try {
    for (const [index, set] of sets.entries()) {
      const cluster = new BenchCluster(join(dir, set.id), set, index * 10);
      try {
        for (const m of cluster.members) cluster.start(m);
        await cluster.waitStable();
        const results: CrashResult[] = [];
        for (let i = 1; i <= crashes; i++) {
          const r = await cluster.crashLeader();
          results.push(r);
          console.error(
            `${set.id} crash ${i}/${crashes}: killed ${r.leader} at ${r.killedAt}, writable after ${r.seconds.toFixed(3)} s, +${r.terms} term(s), rejoin +${r.rejoinTerms}`,
          );
        }
        const secs = results.map((r) => r.seconds).sort((x, y) => x - y);
        const multi = results.filter((r) => r.terms > 1).length;
        const rejoin = results.filter((r) => r.rejoinTerms > 0).length;
        const cells = [
          set.label,
          String(crashes),
          (secs[0] ?? 0).toFixed(2),
          median(secs).toFixed(2),
          (secs[secs.length - 1] ?? 0).toFixed(2),
          `${multi}/${crashes}`,
          `${rejoin}/${crashes}`,
        ];
        rows.push(`| ${cells.join(" | ")} |`);
      } finally {
        await cluster.stopAll();
      }
    }
  } finally {
    removeDir();
    agent.destroy();
  }
  console.log(
    "| flag set | crashes | min (s) | median (s) | max (s) | elections > 1 term | rejoin term bumps |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const row of rows) console.log(row);
  console.log("");
  console.log(
    `Machine: nproc ${availableParallelism()}, etcd ${etcdVersion} (${goVersion}); 3 members on loopback, plain HTTP (no TLS).`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
