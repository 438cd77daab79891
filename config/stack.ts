/**
 * Stack config in, ClusterSpec out: decode the `k8s-ha:*` strings Pulumi hands over (by the
 * encodings in config/schema.ts), take the region from `aws:region`, then resolve. Pure (no
 * Pulumi runtime), so tests call it directly.
 */
import { Problems } from "./errors";
import { CONFIG_NAMESPACE, resolveClusterSpec } from "./resolve";
import { STACK_KEY_ENCODING, type StackEncoding } from "./schema";
import type { ClusterSpec } from "./types";

export { CONFIG_NAMESPACE };

type StackKey = keyof typeof STACK_KEY_ENCODING;

function isStackKey(key: string): key is StackKey {
  return Object.hasOwn(STACK_KEY_ENCODING, key);
}

/** Decodes one raw string; undecodable JSON is kept as the string so the reader reports its type. */
function decode(encoding: StackEncoding, raw: string): unknown {
  if (encoding === "string") return raw;
  if (encoding === "number") return raw.trim() !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * The stack's values as the cluster input object (`project:key` -> string in), rejecting keys
 * of the project's namespace that the spec does not have.
 */
export function decodeStackConfig(
  values: Record<string, string>,
  problems: Problems,
): Record<string, unknown> {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const decoded: Record<string, unknown> = {};
  for (const [fullKey, raw] of Object.entries(values)) {
    if (!fullKey.startsWith(prefix)) continue; // aws:*, pulumi:* and other namespaces are not ours
    const key = fullKey.slice(prefix.length);
    if (isStackKey(key)) decoded[key] = decode(STACK_KEY_ENCODING[key], raw);
    else
      problems.add(
        fullKey,
        raw,
        `unknown key "${key}"; allowed keys: ${Object.keys(STACK_KEY_ENCODING).join(", ")}`,
      );
  }
  if (decoded.availabilityZones !== undefined && decoded.availabilityZoneCount !== undefined) {
    problems.add(
      `${prefix}availabilityZoneCount`,
      decoded.availabilityZoneCount,
      "set either availabilityZones (explicit list) or availabilityZoneCount, not both",
    );
    delete decoded.availabilityZoneCount;
  }
  if (values["aws:region"] !== undefined) decoded.region = values["aws:region"];
  return decoded;
}

/** Validates and defaults a stack's config (`project:key` -> string, as Pulumi passes it). */
export function parseConfig(values: Record<string, string>): ClusterSpec {
  const problems = new Problems();
  return resolveClusterSpec(decodeStackConfig(values, problems), problems);
}
