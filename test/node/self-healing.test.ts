/**
 * The whole-cluster simulation (test/node/sandbox/simulation.ts), three masters of the real dev
 * stack: losses that used to need a person. After each one, etcd must be healthy with three
 * started, voting members at the masters' stable addresses, and every key written before the
 * fault must still be there.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { NodeSandbox } from "./sandbox/node";
import { Simulation } from "./sandbox/simulation";

let sim: Simulation;
beforeAll(async () => {
  sim = await Simulation.create(3);
  await sim.start();
  sim.putKeys();
}, 420_000);
afterAll(async () => {
  if (sim) console.log(sim.table());
  await sim?.stop();
});

test("two of three masters lost at the same moment: both come back, without quorum to start with", async () => {
  const boots = await sim.replace([0, 2]);
  for (const b of boots) {
    expect(b.code).toBe(0);
    expect(b.log).toContain("boot mode: rejoin");
    expect(b.log).not.toContain("updating etcd member");
  }
  sim.putKeys();
}, 420_000);

test("all masters lost at once (volumes kept): the cluster comes back by itself", async () => {
  const boots = await sim.replace([0, 1, 2]);
  for (const b of boots) {
    expect(b.code).toBe(0);
    expect(b.log).toContain("boot mode: rejoin");
  }
  // Nobody answered the membership check: each started its member without asking.
  expect(boots.some((b) => b.log.includes("no other etcd member answers"))).toBe(true);
  sim.putKeys();
}, 420_000);

test("one volume lost: the blank replacement removes its zone's stale member and joins anew", async () => {
  const [b] = await sim.replace([2], "volume");
  expect(b?.code).toBe(0);
  expect(b?.log).toContain("boot mode: join");
  expect(b?.log).toMatch(/removing stale etcd member [0-9a-f]+ through /);
  sim.putKeys();
}, 420_000);

test("a boot that gave up while quorum was gone succeeds on the unit's next attempt, once quorum is back", async () => {
  const [m0, m1] = [sim.masters[0], sim.masters[1]] as [NodeSandbox, NodeSandbox];
  m0.freezeEtcd();
  m1.freezeEtcd();
  // Master 2 loses its volume while the other two hang: its join cannot remove the stale member.
  const pending = sim.replace([2], "volume", { K8SHA_RETRY_MAX: "2" });
  const firstAttemptFailed = () => {
    const node = sim.masters[2] as NodeSandbox;
    try {
      return readFileSync(join(node.o.dir, "systemctl.log"), "utf8").includes(
        "k8sha-boot.service: attempt 1 exited 1",
      );
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 120_000;
  while (!firstAttemptFailed() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  expect(firstAttemptFailed()).toBe(true);
  m0.freezeEtcd(true);
  m1.freezeEtcd(true);
  const [b] = await pending;
  expect(b?.code).toBe(0);
  expect(b?.log).toContain("BOOT FAILED in step 'etcd-stale-member'");
  expect(readFileSync(join((sim.masters[2] as NodeSandbox).o.dir, "systemctl.log"), "utf8")).toMatch(
    /k8sha-boot\.service: attempt 2 exited 0/,
  );
}, 420_000);
