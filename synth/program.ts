/**
 * Runs a Pulumi program other than index.ts (e.g. examples/consumer/index.ts, which exports a
 * function returning its outputs) under the same mocks as the stack, with an explicit config.
 */
import { type SynthResult, synthesizeInCurrentRegistry } from "./mockRuntime";

export async function synthesizeProgram(
  programFile: string,
  stack: string,
  config: Record<string, string> = {},
): Promise<SynthResult> {
  // Inside jest each run needs a fresh module registry (a fresh @pulumi/pulumi runtime).
  const jestGlobal = (
    globalThis as { jest?: { isolateModulesAsync(fn: () => Promise<void>): Promise<void> } }
  ).jest;
  let result: SynthResult | undefined;
  const run = async () => {
    result = await synthesizeInCurrentRegistry(stack, config, programFile);
  };
  if (jestGlobal) await jestGlobal.isolateModulesAsync(run);
  else await run();
  if (!result) throw new Error("synthesis produced no result");
  return result;
}
