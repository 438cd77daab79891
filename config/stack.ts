/**
 * Stack config in, ClusterSpec out: decode the `k8s-ha:*` strings Pulumi hands over (by the
 * encodings in config/schema.ts), take the region from `aws:region`, then resolve. Pure (no
 * Pulumi runtime), so tests call it directly.
 */
import { Problems } from "./errors";
import { CONFIG_NAMESPACE, resolveClusterSpec } from "./resolve";
import { STACK_KEY_ENCODING, type StackEncoding } from "./schema";
import { isMistypedNamespace } from "./stack-namespaces";
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
 * Why a key outside the project's namespace is refused, or undefined for a foreign namespace
 * (aws:, pulumi:, command:, ...) that is none of ours. The Pulumi CLI puts a stack-file key
 * without a namespace under the project's (`masters` is `k8s-ha:masters`), and the offline
 * synth does the same, so a key without one only reaches here from a direct caller.
 */
function foreignKeyProblem(fullKey: string): string | undefined {
  const colon = fullKey.indexOf(":");
  if (colon < 0) return `a key without a namespace; write ${CONFIG_NAMESPACE}:${fullKey}`;
  const namespace = fullKey.slice(0, colon);
  if (!isMistypedNamespace(namespace, CONFIG_NAMESPACE)) return undefined;
  return `namespace "${namespace}" looks like a typo of "${CONFIG_NAMESPACE}" and would be ignored; write ${CONFIG_NAMESPACE}:${fullKey.slice(colon + 1)}`;
}

/**
 * The stack's values as the cluster input object (`project:key` -> string in), rejecting keys
 * of the project's namespace that the spec does not have and keys whose namespace is a typo of it.
 */
export function decodeStackConfig(
  values: Record<string, string>,
  problems: Problems,
): Record<string, unknown> {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const decoded: Record<string, unknown> = {};
  for (const [fullKey, raw] of Object.entries(values)) {
    if (!fullKey.startsWith(prefix)) {
      const problem = foreignKeyProblem(fullKey);
      if (problem) problems.add(fullKey, raw, problem);
      continue;
    }
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
