/**
 * A tiny typed reader over one config object. It checks types only (rules live in the
 * validate-*.ts files), rejects keys it was not told about (a typo like `cuont` must fail,
 * not silently fall back to a default), and on a wrong type records a problem and returns
 * the default so the rest of the config is still checked.
 */
import type { Problems } from "./errors";

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export class Section {
  private constructor(
    readonly problems: Problems,
    /** Key path of this object: `k8s-ha:` for the root, `k8s-ha:masters` for a child. */
    readonly path: string,
    private readonly data: Record<string, unknown>,
  ) {}

  /** Values the typed getters returned, defaults included, so rules can name what they judged. */
  private readonly effective = new Map<string, unknown>();

  private use<T>(key: string, value: T): T {
    this.effective.set(key, value);
    return value;
  }

  /**
   * Opens `value` as an object whose keys must be among `allowedKeys`. Missing (undefined)
   * gives an empty section, so every field takes its default.
   */
  static open(problems: Problems, path: string, value: unknown, allowedKeys: readonly string[]): Section {
    if (value === undefined) return new Section(problems, path, {});
    if (!isPlainObject(value)) {
      problems.add(path, value, `must be an object with keys ${allowedKeys.join(", ")}`);
      return new Section(problems, path, {});
    }
    const section = new Section(problems, path, value);
    for (const key of Object.keys(value)) {
      if (!allowedKeys.includes(key)) {
        problems.add(
          section.keyPath(key),
          value[key],
          `unknown key "${key}"; allowed keys here: ${allowedKeys.join(", ")}`,
        );
      }
    }
    return section;
  }

  /** Full key path of a child, as used in messages. */
  keyPath(key: string): string {
    return this.path.endsWith(":") ? `${this.path}${key}` : `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return this.data[key] !== undefined;
  }

  raw(key: string): unknown {
    return this.data[key];
  }

  /** Records a rule violation for `key`, with its current value. */
  reject(key: string, allowed: string): void {
    const given = this.data[key];
    const isDefault = given === undefined && this.effective.has(key);
    this.problems.add(this.keyPath(key), isDefault ? this.effective.get(key) : given, allowed, isDefault);
  }

  /** A number; whole numbers unless `integer` is false. */
  number(key: string, fallback: number, integer = true): number {
    const value = this.data[key];
    if (value === undefined) return this.use(key, fallback);
    if (typeof value === "number" && Number.isFinite(value) && (!integer || Number.isInteger(value))) {
      return value;
    }
    this.reject(key, integer ? "must be a whole number" : "must be a number");
    return fallback;
  }

  string(key: string, fallback: string): string {
    const value = this.data[key];
    if (value === undefined) return this.use(key, fallback);
    if (typeof value === "string") return value;
    this.reject(key, "must be a string (quote it in YAML)");
    return fallback;
  }

  /** A string that has no default; `undefined` (and a problem) when absent or not a string. */
  requiredString(key: string, rule: string): string | undefined {
    const value = this.data[key];
    if (typeof value === "string") return value;
    this.reject(key, `required string: ${rule}`);
    return undefined;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.data[key];
    if (value === undefined) return this.use(key, fallback);
    if (typeof value === "boolean") return value;
    this.reject(key, "must be true or false");
    return fallback;
  }

  /**
   * One of `allowed`. `refused` maps values people commonly try to the reason they are
   * not offered (e.g. gp2, weave), so the message explains instead of just listing.
   */
  oneOf<T extends string>(
    key: string,
    fallback: T,
    allowed: readonly T[],
    refused: Readonly<Record<string, string>> = {},
  ): T {
    const value = this.data[key];
    if (value === undefined) return this.use(key, fallback);
    const match = allowed.find((a) => a === value);
    if (match !== undefined) return match;
    const reason = typeof value === "string" ? refused[value] : undefined;
    this.reject(key, `must be one of ${allowed.join(", ")}${reason ? ` (${reason})` : ""}`);
    return fallback;
  }

  /** A list; `undefined` when absent (or not a list, with a problem). */
  list(key: string): unknown[] | undefined {
    const value = this.data[key];
    if (value === undefined) return undefined;
    if (Array.isArray(value)) return value;
    this.reject(key, "must be a list");
    return undefined;
  }

  stringList(key: string, fallback: readonly string[]): string[] {
    const items = this.list(key);
    if (items === undefined) return this.use(key, [...fallback]);
    const strings: string[] = [];
    items.forEach((item, i) => {
      if (typeof item === "string") strings.push(item);
      else this.problems.add(`${this.keyPath(key)}[${i}]`, item, "must be a string");
    });
    return strings;
  }

  /** A map of string to string (labels, tags). */
  stringMap(key: string): Record<string, string> {
    const value = this.data[key];
    if (value === undefined) return {};
    if (!isPlainObject(value)) {
      this.reject(key, "must be a map of string keys to string values");
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === "string") out[k] = v;
      else this.problems.add(mapEntryPath(this.keyPath(key), k), v, "must be a string (quote it in YAML)");
    }
    return out;
  }

  section(key: string, allowedKeys: readonly string[]): Section {
    return Section.open(this.problems, this.keyPath(key), this.data[key], allowedKeys);
  }
}

/** `k8s-ha:tags["cost-center"]`: map keys may contain dots and slashes, so they are quoted. */
export function mapEntryPath(mapPath: string, key: string): string {
  return `${mapPath}[${JSON.stringify(key)}]`;
}
