/**
 * The whole-cluster simulation, three masters of the dev stack (`npm run simulate -- --scenarios`):
 * a master whose boot ran out of retries while quorum was gone comes back by itself, through the
 * boot unit's next attempt, once quorum is back. Two members hang (SIGSTOP) while master 2 is
 * replaced with a lost volume; its join cannot remove the stale member and the attempt fails;
 * the members resume; the unit's next attempt joins.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { NodeSandbox } from "../support/sandbox/node";
import { simulationSuite } from "../support/sandbox/suite";

const current = simulationSuite(3);

test("a boot that gave up while quorum was gone succeeds on the unit's next attempt, once quorum is back", async () => {
  const sim = current();
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
