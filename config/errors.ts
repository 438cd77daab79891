/**
 * Config problems are collected, not thrown one by one: a stack author fixing a file
 * should see every mistake in one `pulumi preview`, each naming the key, the value and
 * what would be accepted.
 */

/** One rejected config value. */
export interface ConfigProblem {
  /** Full key path, e.g. `k8s-ha:masters.count`, `k8s-ha:workerPools[1].name` or `aws:region`. */
  key: string;
  /** The offending value as JSON, or `(missing)`. */
  value: string;
  /** What would be accepted, and why. */
  allowed: string;
}

const MAX_VALUE_CHARS = 120;

/** Renders a value for a message: JSON, shortened, `(missing)` when absent. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "(missing)";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 3)}...` : text;
}

/** `<key>: <value> is invalid: <what is allowed>`, the one format every problem uses. */
export function formatProblem(problem: ConfigProblem): string {
  return `${problem.key}: ${problem.value} is invalid: ${problem.allowed}`;
}

/** Thrown by the loader when at least one value is bad; lists all of them. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const lines = problems.map((p) => `  - ${formatProblem(p)}`);
    super(`Invalid stack configuration (${problems.length} problem(s)):\n${lines.join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Accumulates problems while the whole config is read. */
export class Problems {
  private readonly found: ConfigProblem[] = [];

  /** `isDefault`: the value was not in the stack but came from components/defaults.ts. */
  add(key: string, value: unknown, allowed: string, isDefault = false): void {
    const shown = describeValue(value);
    this.found.push({ key, value: isDefault ? `${shown} (default)` : shown, allowed });
  }

  get count(): number {
    return this.found.length;
  }

  /** Throws one ConfigError naming every problem, if there is any. */
  throwIfAny(): void {
    if (this.found.length > 0) throw new ConfigError([...this.found]);
  }
}
