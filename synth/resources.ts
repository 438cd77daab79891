/**
 * The resource listing of a synth folder: every registered resource in URN order with its
 * parent and inputs, secrets redacted, user-data replaced by a pointer to its decoded copy,
 * and mock ids (`<name>-id`) shown as the name of the resource they stand for.
 */
import type { RegisteredResource, SynthResult } from "./mockRuntime";
import { withContentDigest } from "./objectContent";
import { redact } from "./redact";

export interface ListedResource {
  type: string;
  name: string;
  /** Name of the parent resource ("" for the stack). */
  parent: string;
  inputs: unknown;
}

/** Strings longer than this are shown as a length and a prefix (policies, scripts live elsewhere). */
const MAX_INLINE_STRING = 400;

/** Maps mock ids and ARNs back to resource names, which is what a reviewer wants to read. */
export function referenceNamer(result: SynthResult): (value: string) => string {
  const byId = new Map<string, string>();
  for (const r of result.resources) {
    byId.set(`${r.name}-id`, r.name);
    if (typeof r.state.arn === "string") byId.set(r.state.arn, r.name);
  }
  return (value) => {
    const name = byId.get(value);
    return name === undefined ? value : `<ref ${name}>`;
  };
}

/** Applies `rename` to every string of a JSON-like value. */
export function renameDeep(value: unknown, rename: (v: string) => string): unknown {
  if (typeof value === "string") return rename(value);
  if (Array.isArray(value)) return value.map((v) => renameDeep(v, rename));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renameDeep(v, rename)]));
  }
  return value;
}

function shorten(value: unknown, rename: (v: string) => string): unknown {
  if (typeof value === "string") {
    const renamed = rename(value);
    return renamed.length > MAX_INLINE_STRING
      ? `${renamed.slice(0, 120)}... (${renamed.length} chars)`
      : renamed;
  }
  if (Array.isArray(value)) return value.map((v) => shorten(v, rename));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shorten(v, rename)]));
  }
  return value;
}

function parentName(r: RegisteredResource): string {
  return r.parent ? (r.parent.split("::").pop() ?? "") : "";
}

export function listResources(result: SynthResult): ListedResource[] {
  const rename = referenceNamer(result);
  return [...result.resources]
    .sort((a, b) => a.urn.localeCompare(b.urn))
    .map((r) => {
      const inputs: Record<string, unknown> = withContentDigest(r.type, r.name, { ...r.inputs });
      if (typeof inputs.userData === "string") inputs.userData = `(decoded in userdata/${r.name}/)`;
      // JSON policy documents are summarised as statements in summary.json; keep them readable here.
      for (const [k, v] of Object.entries(inputs)) {
        if (typeof v === "string" && /policy$/i.test(k) && v.trim().startsWith("{")) {
          try {
            inputs[k] = JSON.parse(v);
          } catch {
            // not JSON after all: leave it as it is
          }
        }
      }
      return {
        type: r.type,
        name: r.name,
        parent: parentName(r),
        inputs: shorten(redact(inputs, r.type), rename),
      };
    });
}
