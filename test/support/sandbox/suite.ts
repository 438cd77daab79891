/**
 * The jest set-up every whole-cluster scenario file shares: a fresh cluster of `count` masters
 * (and a worker) booted before the file's tests, keys written, the recovery table printed and
 * everything stopped after them.
 */
import { Simulation } from "./simulation";

/** Registers the hooks; the returned function gives the running simulation inside tests. */
export function simulationSuite(count: number, withWorker = false): () => Simulation {
  let sim: Simulation | undefined;
  beforeAll(async () => {
    sim = await Simulation.create(count);
    await sim.start(withWorker);
    sim.putKeys();
  }, 420_000);
  afterAll(async () => {
    if (sim) console.log(sim.table());
    await sim?.stop();
  });
  return () => {
    if (!sim) throw new Error("the simulation did not start (see beforeAll)");
    return sim;
  };
}
