/**
 * k8sha-control-plane's maintenance commands on the three-master bench of
 * test/support/controlPlaneSandbox.ts (real etcd members, the node sandbox's stubs): versions
 * (every kubelet, the cluster, every etcd), move-leader (off an address, a no-op elsewhere),
 * drain/uncordon of the Node at an address (ok when no Node is there).
 */
import { execFileSync } from "node:child_process";
import { controlPlaneSandbox, lines, M1, M2, MASTERS } from "../support/controlPlaneSandbox";

const cpo = controlPlaneSandbox({ clientPort: 25479, peerPort: 25480 });
const { cli, logOf, apiNodes } = cpo;

test("versions: every control-plane Node's kubelet, the cluster's version, every member's etcd", async () => {
  const etcd = /Version: (\S+)/.exec(execFileSync("/usr/bin/etcd", ["--version"]).toString())?.[1];
  const r = await cli(M2, "versions");
  const out = lines(r.stdout);
  expect(out.slice(0, 4)).toEqual([
    ...MASTERS.map((m) => `node ${m.name} ${m.ip} v1.34.2`),
    "cluster v1.34.2",
  ]);
  expect(out.slice(4, 7).sort()).toEqual(MASTERS.map((m) => `etcd ${m.name} ${etcd}`)); // member list order
  expect(out.slice(7)).toEqual(["result: pass"]);
  expect(r.code).toBe(0);
});

/** The IP of the member that says it leads. */
async function leaderIp(): Promise<string> {
  for (const m of MASTERS) {
    const out = await cpo.cluster.etcdctl(
      ["endpoint", "status", "-w", "simple"],
      [cpo.cluster.clientUrl(m.ip)],
    );
    if (out.stdout.split(", ")[4] === "true") return m.ip;
  }
  throw new Error("no leader");
}

test("move-leader moves leadership off the given address, and is a no-op when it leads elsewhere", async () => {
  const from = await leaderIp();
  const helper = MASTERS.find((m) => m.ip !== from) ?? M1;
  const moved = await cli(helper, "move-leader", "--from", from);
  expect(moved.stdout).toMatch(/^ok move-leader: leadership moved from m\d to m\d$/m);
  expect(moved.code).toBe(0);
  const now = await leaderIp();
  expect(now).not.toBe(from);
  const other = MASTERS.find((m) => m.ip !== now)?.ip ?? "";
  const nothing = await cli(helper, "move-leader", "--from", other);
  expect(nothing.stdout).toMatch(
    new RegExp(`^ok move-leader: the leader is m\\d .*not at ${other}: nothing to move$`, "m"),
  );
  expect(nothing.code).toBe(0);
  expect(await leaderIp()).toBe(now);
});

test("drain cordons and drains the Node at the address, uncordon undoes it; no Node there is ok", async () => {
  const drained = await cli(M1, "drain", "--address", M2.ip, "--timeout", "120");
  expect(lines(drained.stdout)).toEqual([
    "ok cordon: m2 (127.0.73.2)",
    "ok drain: m2 drained",
    "result: pass",
  ]);
  expect(logOf(M1, "kubectl")).toMatch(/ cordon m2\n/);
  expect(logOf(M1, "kubectl")).toMatch(
    / drain m2 --ignore-daemonsets --delete-emptydir-data --timeout=1[0-2]\ds\n/,
  );
  expect(apiNodes().find((n) => n.name === "m2")?.unschedulable).toBe(true);
  const back = await cli(M1, "uncordon", "--address", M2.ip);
  expect(lines(back.stdout)).toEqual(["ok uncordon: m2 (127.0.73.2)", "result: pass"]);
  expect(apiNodes().find((n) => n.name === "m2")?.unschedulable).toBe(false);
  for (const verb of ["drain", "uncordon"]) {
    const gone = await cli(M1, verb, "--address", "127.0.73.99");
    expect(lines(gone.stdout)).toEqual([`ok ${verb}: no Node at 127.0.73.99 (already gone)`, "result: pass"]);
  }
});
