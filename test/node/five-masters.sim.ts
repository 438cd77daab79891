/**
 * The whole-cluster simulation with five masters (dev with masters.count=5 over five zones):
 * two lost at the same moment, volumes kept; the other three keep quorum, the two come back as
 * the same members at the same addresses.
 */
import { simulationSuite } from "../support/sandbox/suite";

const current = simulationSuite(5);

test("five masters, two replaced at once: five healthy members, every key kept", async () => {
  const sim = current();
  expect(sim.memberProblems()).toEqual([]);
  const boots = await sim.replace([1, 3]);
  for (const b of boots) {
    expect(b.code).toBe(0);
    expect(b.log).toContain("boot mode: rejoin");
  }
  expect(sim.memberProblems()).toEqual([]);
  expect(sim.missingKeys()).toEqual([]);
}, 420_000);
