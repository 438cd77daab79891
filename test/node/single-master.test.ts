/**
 * The whole-cluster simulation with a single master (dev with masters.count=1, allowNonHa): its
 * replacement takes over the stable address and rejoins its own volume with no peer at all (it is
 * its own quorum), as the same member.
 */
import type { NodeSandbox } from "../support/sandbox/node";
import { simulationSuite } from "../support/sandbox/suite";

const current = simulationSuite(1);

test("the only master is replaced and rejoins its volume without any peer", async () => {
  const sim = current();
  const before = (sim.masters[0] as NodeSandbox).readMounted("/var/lib/etcd-volume/k8sha-identity");
  const id = /member_id=([0-9a-f]+)/.exec(before)?.[1];
  const [b] = await sim.replace([0]);
  expect(b?.code).toBe(0);
  expect(b?.log).toContain("boot mode: rejoin");
  expect(b?.log).not.toContain("no other master");
  const members = sim.etcdctl(["member", "list", "-w", "simple"]).trim().split("\n");
  expect(members).toHaveLength(1);
  expect(members[0]).toMatch(new RegExp(`^${id}, started, `));
  expect(sim.missingKeys()).toEqual([]);
}, 420_000);
