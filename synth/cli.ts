/**
 * `npm run synth -- <stack> [--out <dir>]`: runs the real program (index.ts) for one stack under
 * Pulumi's mock runtime, with that stack's Pulumi.<stack>.yaml, and writes a reviewable folder
 * (default .synth/<stack>/). No AWS credentials and no Pulumi CLI are needed, so CI can publish
 * it for pull requests from forks. Exit code 1 on bad usage, 2 when a policy is violated.
 */
import * as path from "node:path";
import { PROJECT_ROOT, synthesize } from "./mockRuntime";
import { writeSynthFolder } from "./write";

export interface CliArgs {
  stack: string;
  outDir: string;
}

export const USAGE = "usage: npm run synth -- <stack> [--out <dir>]";

export function parseArgs(argv: string[]): CliArgs {
  const positional: string[] = [];
  let outDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") {
      outDir = argv[++i];
      if (!outDir) throw new Error(`--out needs a directory\n${USAGE}`);
    } else if (argv[i].startsWith("-")) {
      throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
    } else {
      positional.push(argv[i]);
    }
  }
  if (positional.length !== 1 || !/^[a-z0-9][a-z0-9-]*$/.test(positional[0])) {
    throw new Error(`exactly one stack name (e.g. dev, prod) is required\n${USAGE}`);
  }
  const stack = positional[0];
  return { stack, outDir: outDir ?? path.join(PROJECT_ROOT, ".synth", stack) };
}

/** Runs one synth; returns the process exit code. */
export async function runCli(argv: string[], log: (line: string) => void = console.log): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    log((err as Error).message);
    return 1;
  }
  const started = process.hrtime.bigint();
  const result = await synthesize(args.stack);
  const folder = writeSynthFolder(result, args.outDir);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  log(
    `synth ${args.stack}: ${result.resources.length} resources, ${folder.files.length} files in ${args.outDir} (${Math.round(ms)} ms)`,
  );
  for (const v of folder.summary.policyViolations) log(`policy ${v.policy}: ${v.message}`);
  return folder.summary.policyViolations.length > 0 ? 2 : 0;
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
