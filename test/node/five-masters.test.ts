/**
 * The whole-cluster simulation with five masters (dev with masters.count=5 over five zones):
 * two lost at the same moment, volumes kept; the other three keep quorum, the two come back as
 * the same members at the same addresses.
 */
import { Simulation } from "./sandbox/simulation";

let sim: Simulation;
beforeAll(async () => {
  sim = await Simulation.create(5);
  await sim.start();
  sim.putKeys();
}, 420_000);
afterAll(async () => {
  if (sim) console.log(sim.table());
  await sim?.stop();
});

test("five masters, two replaced at once: five healthy members, every key kept", async () => {
  expect(sim.memberProblems()).toEqual([]);
  const boots = await sim.replace([1, 3]);
  for (const b of boots) {
    expect(b.code).toBe(0);
    expect(b.log).toContain("boot mode: rejoin");
  }
  expect(sim.memberProblems()).toEqual([]);
  expect(sim.missingKeys()).toEqual([]);
}, 420_000);
