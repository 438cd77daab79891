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
 *   npm run simulate -- --masters 5 --roll            # a template change rolled by the gates
 *   npm run simulate -- --roll --upgrade 1.35.0       # the same for a Kubernetes upgrade (in place)
 *   npm run simulate -- --scenarios                   # every scenario test (jest, test/node)
 *
 * Needs root (mount namespaces, loop devices, veth interfaces); scripts/simulate.sh installs
 * the Debian tools first.
 */
import { backupNow, type RollReport, roll } from "../test/support/sandbox/rolling";
import { type Loss, Simulation } from "../test/support/sandbox/simulation";

interface Options {
  masters: number;
  /** Roll the masters with their gates after the boot: a new instance type, or `upgrade`'s version. */
  roll?: { upgrade?: string };
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
  let rollWith: Options["roll"];
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
    else if (arg === "--roll") rollWith = { ...rollWith };
    else if (arg === "--upgrade") rollWith = { upgrade: value() };
    else usage(`unknown option ${arg}`);
  }
  if (![1, 3, 5].includes(masters)) usage(`--masters ${masters}: 1, 3 or 5`);
  if (!Number.isInteger(repeat) || repeat < 1) usage(`--repeat ${repeat}: a positive integer`);
  if (rollWith)
    return {
      masters,
      steps: replace ? parseIndices(replace, masters).map((i) => ({ replace: [i], loss })) : [],
      repeat,
      roll: rollWith,
    };
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

/** One row per gate, then what the monitor saw during the whole roll. */
function rollTable(r: RollReport, masters: number): string {
  const rows = r.gates.map((g) => {
    const done = /(replaced \S+ by \S+|upgraded in place to \S+|skipped)/.exec(g.output)?.[1] ?? "stopped";
    return `| ${g.member} | ${done} | ${g.seconds.toFixed(0)} |`;
  });
  return [
    "| master | gate | seconds |",
    "| --- | --- | --- |",
    ...rows,
    "",
    `members healthy at every sample: at least ${r.minHealthy}/${masters} (${r.samples} samples); ` +
      `writes acknowledged during the roll: ${r.acked}, lost: ${r.lost.length}`,
  ].join("\n");
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const started = Date.now();
  const sim = await Simulation.create(options.masters);
  let failure: unknown;
  let report: RollReport | undefined;
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
    if (options.roll) {
      await backupNow(sim);
      const base = sim.cluster.config;
      const change = options.roll.upgrade
        ? { ...base, kubernetesVersion: options.roll.upgrade }
        : { ...base, masters: { ...(base.masters as object), instanceType: "t3.large" } };
      process.stderr.write(`rolling the masters: ${options.roll.upgrade ?? "instance type t3.large"}\n`);
      report = await roll(sim, change);
      if (report.gates.some((g) => g.code !== 0))
        throw new Error(`a gate stopped:\n${report.gates.at(-1)?.output}`);
    }
  } catch (e) {
    failure = e;
  } finally {
    process.stdout.write(`${sim.table()}\n`);
    if (report) process.stdout.write(`${rollTable(report, sim.count)}\n`);
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
