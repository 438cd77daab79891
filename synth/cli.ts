/**
 * `npm run synth -- <stack> [--out <dir>] [--stack-file <path>]`: runs the real program
 * (index.ts) for one stack under Pulumi's mock runtime, with that stack's Pulumi.<stack>.yaml
 * (or the given file), and writes a reviewable folder (default .synth/<stack>/). No AWS
 * credentials and no Pulumi CLI are needed, so CI can publish it for pull requests from forks.
 * Exit code 1 on bad usage, a missing stack file or a config error (printed as one block, no
 * stack trace: it is the user's file, not the program, that is wrong), 2 when a policy is violated.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../config/errors";
import { MissingStackFileError, PROJECT_ROOT, synthesize } from "./mockRuntime";
import { writeSynthFolder } from "./write";

export interface CliArgs {
  stack: string;
  outDir: string;
  /** A stack file outside the project root; default Pulumi.<stack>.yaml there. */
  stackFile?: string;
}

export const USAGE = "usage: npm run synth -- <stack> [--out <dir>] [--stack-file <path>]";

const STACK_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** The option's value, or a usage error naming the option. */
function optionValue(argv: string[], i: number, what: string): string {
  const value = argv[i + 1];
  if (!value || value.startsWith("-")) throw new Error(`${argv[i]} needs ${what}\n${USAGE}`);
  return value;
}

export function parseArgs(argv: string[]): CliArgs {
  const positional: string[] = [];
  let outDir: string | undefined;
  let stackFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") outDir = optionValue(argv, i++, "a directory");
    else if (argv[i] === "--stack-file") stackFile = path.resolve(optionValue(argv, i++, "a file"));
    else if (argv[i].startsWith("-")) throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
    else positional.push(argv[i]);
  }
  // With --stack-file the stack name may come from the file name (Pulumi.<stack>.yaml).
  const fromFile = stackFile ? /^Pulumi\.([^.]+)\.ya?ml$/.exec(path.basename(stackFile))?.[1] : undefined;
  const stack = positional[0] ?? fromFile;
  if (positional.length > 1 || !stack || !STACK_NAME.test(stack)) {
    throw new Error(`exactly one stack name (e.g. dev, prod) is required\n${USAGE}`);
  }
  return {
    stack,
    outDir: outDir ?? path.join(PROJECT_ROOT, ".synth", stack),
    ...(stackFile ? { stackFile } : {}),
  };
}

/** Errors that are the user's input, printed as their message alone. */
function userError(err: unknown): string | undefined {
  if (err instanceof ConfigError || err instanceof MissingStackFileError) return err.message;
  // The program runs in a fresh module registry under jest, so its ConfigError is another class.
  if (err instanceof Error && err.name === "ConfigError") return err.message;
  return undefined;
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
  const file = args.stackFile ?? path.join(PROJECT_ROOT, `Pulumi.${args.stack}.yaml`);
  if (!fs.existsSync(file)) {
    log(`synth ${args.stack}: no stack file ${file} (give one with --stack-file <path>)`);
    return 1;
  }
  const started = process.hrtime.bigint();
  let result: Awaited<ReturnType<typeof synthesize>>;
  try {
    result = await synthesize(args.stack, {}, args.stackFile);
  } catch (err) {
    const message = userError(err);
    if (message === undefined) throw err;
    log(`synth ${args.stack}: ${file}\n${message}`);
    return 1;
  }
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
