/**
 * The policy logic works on plain data so the same functions run inside the Pulumi policy
 * engine (policy/index.ts) and in unit tests over graphs from `synthesize` (synth/mockRuntime.ts).
 */

/** One resource of a stack, as far as the policies need it. */
export interface GraphResource {
  /** Pulumi type token, e.g. `aws:ebs/volume:Volume`. */
  type: string;
  name: string;
  urn: string;
  /** Resolved inputs; during a preview a property Pulumi cannot know yet is absent. */
  props: Record<string, unknown>;
  /** URNs this resource depends on (explicitly or through its inputs). */
  dependencies: string[];
}

/** A policy finding: which policy, which resource, and what is wrong. */
export interface Violation {
  policy: string;
  /** URN of the offending resource ("" when the finding concerns the stack as a whole). */
  urn: string;
  message: string;
}

interface PolicyBase {
  /** Policy name as shown by `pulumi preview --policy-pack` (kebab-case, unique in the pack). */
  name: string;
  description: string;
}

/** Judges one resource at a time; returns one message per problem. */
export interface ResourcePolicy extends PolicyBase {
  kind: "resource";
  check(resource: GraphResource): string[];
}

/** Judges the whole stack (relations between resources). */
export interface StackPolicy extends PolicyBase {
  kind: "stack";
  check(resources: GraphResource[]): { urn: string; message: string }[];
}

export type PolicyDefinition = ResourcePolicy | StackPolicy;
