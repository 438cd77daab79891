/** Navigating a synthesized resource graph (synth/mockRuntime.ts) in assertions. */
import type { RegisteredResource, SynthResult } from "../../synth/mockRuntime";

export type Rec = Record<string, unknown>;
/** `v` as an object, or `{}` when it is not one (so a missing field fails the assertion, not the test code). */
export const rec = (v: unknown): Rec => (v && typeof v === "object" ? (v as Rec) : {});
/** `v` as an array, or `[]`. */
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A synthesis with its resources indexed by URN. */
export interface Graph {
  result: SynthResult;
  byUrn: Map<string, RegisteredResource>;
}

export function indexGraph(result: SynthResult): Graph {
  return { result, byUrn: new Map(result.resources.map((r) => [r.urn, r])) };
}

/** Direct children of `parent` of the given type. */
export const childrenOf = (g: Graph, parent: RegisteredResource, type: string): RegisteredResource[] =>
  g.result.resources.filter((r) => r.parent === parent.urn && r.type === type);

/** Every resource of the given type below `root`, at any depth. */
export function descendantsOf(g: Graph, root: RegisteredResource, type: string): RegisteredResource[] {
  const direct = g.result.resources.filter((r) => r.parent === root.urn);
  return [...direct.filter((r) => r.type === type), ...direct.flatMap((r) => descendantsOf(g, r, type))];
}

/** The direct dependencies of `r` of the given type. */
export const depsOfType = (g: Graph, r: RegisteredResource, type: string): RegisteredResource[] =>
  r.dependencies.map((u) => g.byUrn.get(u)).filter((d): d is RegisteredResource => d?.type === type);

/** The single item, or a thrown error naming `what` and how many there were. */
export function only<X>(items: X[], what: string): X {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return items[0];
}

/** Every URN reachable through dependencies and the dependencies' dependencies. */
export function reachable(g: Graph, start: RegisteredResource): Set<string> {
  const seen = new Set<string>();
  const queue = [...start.dependencies];
  while (queue.length > 0) {
    const urn = queue.pop() as string;
    if (seen.has(urn)) continue;
    seen.add(urn);
    queue.push(...(g.byUrn.get(urn)?.dependencies ?? []));
  }
  return seen;
}
