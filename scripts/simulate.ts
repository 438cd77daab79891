/**
 * `npm run simulate`: the whole-cluster simulation on this machine, no AWS needed. A control
 * plane of the real dev stack boots in node sandboxes (test/node/sandbox), then the faults you
 * ask for are applied and each recovery is checked (etcd healthy, every member started and
 * voting at its stable address, every key written before the fault still there) and timed.
 *
 *   npm run simulate                                  # 3 masters; master 1 lost; then 0 and 2 at once
 *   npm run simulate -- --masters 5 --replace 1,3     # five masters, two lost at the same moment
 *   npm run simulate -- --replace 2 --loss volume     # a blank volume: stale member removed, join
 *   npm run simulate -- --replace 0,1,2 --repeat 2    # all masters lost at once, twice
 *   npm run simulate -- --replace 0,1 --one-by-one    # one after the other instead of together
 *   npm run simulate -- --scenarios                   # every scenario test (jest, test/node)
 *
 * Needs root (mount namespaces, loop devices, veth interfaces); scripts/simulate.sh installs
 * the Debian tools first.
 */
import { type Loss, Simulation } from "../test/support/sandbox/simulation";

interface Options {
  masters: number;
  steps: { replace: number[]; loss: Loss }[];
  repeat: number;
}

function usage(problem: string): never {
  process.stderr.write(`simulate: ${problem}\nsee the header of scripts/simulate.ts for the options\n`);
  process.exit(2);
}

function parseIndices(text: string, masters: number): number[] {
  const list = text.split(",").map((x) => Number(x));
  for (const i of list)
    if (!Number.isInteger(i) || i < 0 || i >= masters) usage(`--replace ${text}: indices 0-${masters - 1}`);
  return list;
}

function parse(argv: string[]): Options {
  let masters = 3;
  let replace: string | undefined;
  let loss: Loss = "instance";
  let together = true;
  let repeat = 1;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i] ?? usage(`${arg} needs a value`);
    if (arg === "--masters") masters = Number(value());
    else if (arg === "--replace") replace = value();
    else if (arg === "--loss") {
      const v = value();
      if (v !== "instance" && v !== "volume") usage(`--loss ${v}: instance or volume`);
      loss = v;
    } else if (arg === "--one-by-one") together = false;
    else if (arg === "--repeat") repeat = Number(value());
    else usage(`unknown option ${arg}`);
  }
  if (![1, 3, 5].includes(masters)) usage(`--masters ${masters}: 1, 3 or 5`);
  if (!Number.isInteger(repeat) || repeat < 1) usage(`--repeat ${repeat}: a positive integer`);
  if (replace === undefined) {
    // The default: about two minutes on a 2-core machine.
    const steps =
      masters === 1
        ? [{ replace: [0], loss }]
        : [
            { replace: [1], loss },
            { replace: [0, 2], loss },
          ];
    return { masters, steps, repeat };
  }
  const indices = parseIndices(replace, masters);
  const steps = together ? [{ replace: indices, loss }] : indices.map((i) => ({ replace: [i], loss }));
  return { masters, steps, repeat };
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const started = Date.now();
  const sim = await Simulation.create(options.masters);
  let failure: unknown;
  try {
    process.stderr.write(`booting ${options.masters} master(s) of the dev stack at once\n`);
    await sim.start();
    sim.putKeys();
    for (let round = 0; round < options.repeat; round++) {
      for (const step of options.steps) {
        process.stderr.write(`losing master(s) ${step.replace.join(",")} (${step.loss})\n`);
        await sim.replace(step.replace, step.loss);
        sim.putKeys();
      }
    }
  } catch (e) {
    failure = e;
  } finally {
    process.stdout.write(`${sim.table()}\n`);
    process.stdout.write(`total ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    await sim.stop();
  }
  if (failure) {
    process.stderr.write(
      `simulation FAILED: ${failure instanceof Error ? failure.message : String(failure)}\n`,
    );
    process.stderr.write("K8SHA_KEEP_SANDBOX=1 keeps every node's logs\n");
    process.exit(1);
  }
}

void main();
