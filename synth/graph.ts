/** Adapts a mock-runtime synthesis to the plain graph the policies judge. */
import type { GraphResource } from "../policy/types";
import type { SynthResult } from "./mockRuntime";

/** Custom resources only (components own nothing a policy could judge), inputs as props. */
export function toGraphResources(result: SynthResult): GraphResource[] {
  return result.resources
    .filter((r) => r.custom)
    .map((r) => ({
      type: r.type,
      name: r.name,
      urn: r.urn,
      props: r.inputs,
      dependencies: r.dependencies,
    }));
}
