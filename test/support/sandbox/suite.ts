/**
 * The jest set-up every whole-cluster scenario file shares: a fresh cluster of `count` masters
 * (and a worker) booted before the file's tests, keys written, the recovery table printed and
 * everything stopped after them.
 */
import { ExternalSimulation } from "./externalSimulation";
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

/**
 * The same for the external topology: three etcd nodes and three stateless masters booted before
 * the file's tests (any failed boot fails them all), `keys` keys written, everything stopped after.
 */
export function externalSimulationSuite(keys = 20): () => ExternalSimulation {
  let sim: ExternalSimulation | undefined;
  beforeAll(async () => {
    sim = await ExternalSimulation.create();
    const { etcd, masters } = await sim.start();
    for (const [i, b] of [...etcd, ...masters].entries())
      if (b.code !== 0) throw new Error(`node ${i} of the fresh cluster failed its boot (exit ${b.code})`);
    sim.putKeys(keys);
  }, 300_000);
  afterAll(async () => {
    await sim?.stop();
  });
  return () => {
    if (!sim) throw new Error("the external simulation did not start (see beforeAll)");
    return sim;
  };
}
