/**
 * The bad-config tests' shared check: the dev stack with `overrides` applied is refused with
 * exactly one problem, whose message matches `expected` (so a case fails for the reason it
 * claims, not a side effect).
 */
import { ConfigError } from "../../config/errors";
import { parseConfig } from "../../config/stack";
import { applyOverrides, type ConfigOverrides, readStackConfig } from "../../synth/mockRuntime";

/** The real dev stack config, as Pulumi hands it to the program. */
export const devConfig = readStackConfig("dev");

/** A refusal case: a name, the config overrides on top of dev, and the expected message. */
export type RefusalCase = [string, ConfigOverrides, RegExp];

export function expectSingleProblem(overrides: ConfigOverrides, expected: RegExp): void {
  let error: unknown;
  try {
    parseConfig(applyOverrides(devConfig, overrides));
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const configError = error as ConfigError;
  expect(configError.message).toMatch(expected);
  expect(configError.problems).toHaveLength(1);
}
