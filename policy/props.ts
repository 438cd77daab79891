/** Small readers for untyped resource properties (policies must never throw on odd shapes). */

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) return Number(value);
  return undefined;
}

/** Providers and the policy engine may hand booleans over as strings. */
export function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

/**
 * A tag's value whatever the tag shape: a map (`tags: {k: v}`, most resources) or the
 * autoscaling group's list (`tags: [{key, value, propagateAtLaunch}]`).
 */
export function tagValue(props: Record<string, unknown>, key: string): string | undefined {
  const tags = props.tags;
  if (Array.isArray(tags)) {
    for (const tag of tags) {
      const t = asRecord(tag);
      if (t.key === key) return asString(t.value);
    }
    return undefined;
  }
  return asString(asRecord(tags)[key]);
}

export function ofType<T extends { type: string }>(resources: T[], ...types: string[]): T[] {
  return resources.filter((r) => types.includes(r.type));
}
